"""Consent guards: the parts of a method that run only after a stored "the user agreed" flag read true.

Apps that follow the 2021+ rules still start SDKs from `Application.onCreate`, but behind a check of the
flag their consent dialog stores:

    if (sp.getBoolean("privacy_agreed", false)) UMConfigure.init(…);     // guarded block
    if (!PrivacyHelper.isAgreed(this)) return;  …init…                   // early return
    if (App.sAgreed) init();                                              // flag kept in a field

On the first launch that flag is false, so those calls do not run before consent. `ConsentGuards.sites`
finds them, intra-procedurally, on the method's Dalvik bytecode:

1. a forward data-flow pass over the control-flow graph (branches, switches, exception handlers) tracks,
   per register, a string constant (a key), an int constant, a "consent" boolean (the result of a consent
   check) or its negation (`xor-int/lit8 v, v, 1`); a value survives a merge only if every incoming path
   agrees;
2. an `if-eqz`/`if-nez` on a consent value, or an `if-eq`/`if-ne` comparing it with a register holding
   0 or 1, has one "agreed" successor;
3. an instruction is guarded when the method's entry reaches it, but no longer once every "agreed" edge is
   removed: each path to it passes a check that consent was given.

A consent check is a call returning boolean that is either a keyed getter (`getBoolean`, MMKV `decodeBool`,
wrappers of the same name) with a consent-key string argument, a method whose name says "agreed"
(`isPrivacyAgreed`, Kotlin's `getAgreed`), a defined method whose every `return` returns such a check (one
level of summary), or a read of a consent field.

A boolean field is a consent field when every write to it anywhere in the program
(`iput-boolean`/`sput-boolean`, found by searching each DEX's bytes for the field's index and confirmed on
the decoded writer) stores a consent check, the constant false, or the constant true inside a click
callback (an instance `onClick` of a class with a framework supertype), behind a consent check, or in a method that also stores true under a consent key
(the "agree" handler); a write of a setter's parameter (Kotlin `var agreed` → `setAgreed(Z)V`) counts when
every call of the setter passes one of those, and the setter is called at all. At least one write must be able to make the field true, and a
static initial value must be false. Candidates are fields whose name says consent (`isAgreePrivacy`,
`mPrivacyAccepted`) and fields a method of their own class assigns a consent check to
(`a = sp.getBoolean("privacy_agreed", false)` in an obfuscated class); the byte search runs only for fields
an analysed method reads. Writes through reflection, JNI or serialisers are not visible: a field only ever
written that way (no write in the bytecode) is not a consent field.

The words are data (`ConsentLexicon`, from hegui's knowledge files); this package only knows bytecode.
Anything unclear keeps the code unguarded: values reassigned on some path, comparisons with anything but
0/1, a field with any other write (an unknown value, a negated check, a true from unrelated code), odexed
opcodes, malformed code, or a decoding that disagrees with the index.

The package: `lexicon` (the words), `bytecode` (decoding), `flow` (the register data-flow), `fields` (boolean
fields and the byte search for their writes) and `analysis` (`ConsentGuards`).
"""

from hegui.dex.guards.analysis import ConsentGuards, GuardedSites
from hegui.dex.guards.bytecode import param_types
from hegui.dex.guards.lexicon import ConsentLexicon

__all__ = ["ConsentGuards", "ConsentLexicon", "GuardedSites", "param_types"]
