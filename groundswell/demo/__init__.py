"""The synthetic demo scenario: real export formats with planted, documented ground truth.

See :func:`generate` and docs/demo.md.
"""

from groundswell.demo.common import DemoFile, Manifest
from groundswell.demo.generate import generate, load_manifest

__all__ = ["DemoFile", "Manifest", "generate", "load_manifest"]
