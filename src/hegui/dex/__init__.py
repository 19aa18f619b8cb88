"""DEX reading and indexing (a reader: knows nothing of rules or knowledge files)."""

from hegui.dex.index import DexIndex, MethodInfo
from hegui.dex.parser import DexFile, DexFormatError
from hegui.names import descriptor_to_java, java_to_descriptor

__all__ = ["DexFile", "DexFormatError", "DexIndex", "MethodInfo", "descriptor_to_java", "java_to_descriptor"]
