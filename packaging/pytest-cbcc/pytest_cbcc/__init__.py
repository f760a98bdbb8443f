"""pytest-cbcc: fixtures, markers and assertions for testing BPF
behaviour with cbcc's tools (see plugin.py and README.md)."""
from .asserts import (assert_count, assert_executed, assert_not_opened,
                      assert_opened, assert_packets)
from .tool import CbccError, CbccStartError, format_records

__all__ = ["assert_count", "assert_executed", "assert_not_opened",
           "assert_opened", "assert_packets", "CbccError",
           "CbccStartError", "format_records"]
