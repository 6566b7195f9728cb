"""Excel and CSV input/output under the data contract: reading sources without loss, writing workbooks for people."""
