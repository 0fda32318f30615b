"""Importing service data files (data-formats.md): reading, validating, writing.

The entry point is `import_file`; the command, the upload pages and the API call it.
"""

from .reading import FileRejected
from .service import import_file

__all__ = ["FileRejected", "import_file"]
