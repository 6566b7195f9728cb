"""jykn：清远市清新区就业困难人员认定和服务工作的业务库（规则、数据契约、分析、报表、批量运行）。"""

from .arrow_memory import choose_pool as _choose_pool

__version__ = "0.1.0"

_choose_pool()  # before any table is made: every process of the suite reads and decides with the same allocator
