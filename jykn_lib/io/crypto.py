"""Password protection of workbooks that leave the district office (ECMA-376 Agile encryption, msoffcrypto-tool).

The password never comes from the command line (it would show in ``ps`` and shell history): it is read from a file or
an environment variable by :func:`password_from_env_or_file`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import msoffcrypto
from msoffcrypto.format.ooxml import OOXMLFile

DEFAULT_ENV_VAR = "JYKN_XLSX_PASSWORD"


class PasswordError(ValueError):
    """The password file is missing or empty, or a password is wrong. Messages are Chinese."""


def password_from_env_or_file(env_var: str = DEFAULT_ENV_VAR, file: str | os.PathLike | None = None) -> str | None:
    """The workbook password: the first line of ``file`` (stripped) if given, else ``$env_var``; None when neither.

    A named file that is missing, unreadable or empty is an error, not "no password": the caller asked for encryption.
    """
    if file is not None:
        path = Path(file)
        if not path.is_file():
            raise PasswordError(f"密码文件不存在：{path}")
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()  # utf-8-sig: Notepad writes a BOM
        except (OSError, UnicodeDecodeError) as exc:
            raise PasswordError(f"无法读取密码文件 {path}：{exc}") from exc
        password = lines[0].strip() if lines else ""
        if not password:
            raise PasswordError(f"密码文件为空（第一行应为密码）：{path}")
        return password
    return os.environ.get(env_var, "").strip() or None


def encrypt_file(src: str | os.PathLike, dst: str | os.PathLike, password: str) -> None:
    """Encrypt the workbook ``src`` into ``dst`` (Agile encryption; Excel, WPS and LibreOffice open it)."""
    if not password:
        raise PasswordError("加密密码不能为空")
    with open(src, "rb") as plain, open(dst, "wb") as out:
        OOXMLFile(plain).encrypt(password, out)


def is_encrypted(path: str | os.PathLike) -> bool:
    with open(path, "rb") as f:
        return msoffcrypto.OfficeFile(f).is_encrypted()


def decrypt_to_buffer(path: str | os.PathLike, password: str) -> io.BytesIO:
    """The decrypted workbook in memory (for readers and tests); a wrong password raises :class:`PasswordError`."""
    out = io.BytesIO()
    with open(path, "rb") as f:
        office = msoffcrypto.OfficeFile(f)
        try:
            office.load_key(password=password)
            office.decrypt(out)
        except (msoffcrypto.exceptions.InvalidKeyError, msoffcrypto.exceptions.DecryptionError) as exc:
            raise PasswordError(f"工作簿密码错误，无法解密：{path}") from exc
    out.seek(0)
    return out
