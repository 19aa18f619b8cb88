"""JVM class files (the code of SDK JARs and AARs), read and presented to `hegui.dex.DexIndex` in DEX form.

Imports nothing from hegui but `hegui.errors` and the DEX reader's table types.
"""

from hegui.jvm.classfile import ClassFile, ClassFormatError, MemberRef, MethodBody, parse_class
from hegui.jvm.program import Allowance, JvmProgram, read_program

__all__ = ["Allowance", "ClassFile", "ClassFormatError", "JvmProgram", "MemberRef", "MethodBody", "parse_class", "read_program"]
