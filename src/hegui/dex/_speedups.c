/*
 * hegui.dex._speedups: the per-class hot path of hegui.dex.parser in C.
 *
 * read_class_data() does what DexFile._read_class_data + _scan_code + _sweep do in Python for one
 * class_data_item: decode its uleb128 header and method list, and sweep each method's bytecode for the
 * method/string/type/field references hegui indexes. The result must be identical to the Python path,
 * including on malformed input, so the control flow below mirrors parser.py step by step:
 *
 *   - uleb128: at most 6 bytes are read (the Python loop only gives up once `shift > 35`), so values are
 *     up to 42 bits and are kept in uint64_t; reading past the buffer is the Python IndexError.
 *   - per-method problems ("code outside the file", "code runs past the file end", "ends inside an
 *     instruction") are returned as events, in order; the Python side formats them with method names.
 *   - a class-level failure (uleb past the end, uleb too long, method index out of range) is returned
 *     as the message str() of the Python exception would give; the class then has no methods, but the
 *     events of the methods swept before the failure stay, as they do in Python.
 *   - a code unit past the buffer while decoding an instruction is the Python IndexError of the sweep:
 *     the references collected so far are kept and the "ends inside an instruction" event is recorded.
 *   - the per-file budget of code units to sweep (against methods sharing one big code item) is passed
 *     in and handed back, so it spans classes exactly as DexFile._sweep_budget does.
 *
 * read_strings() is DexFile._read_strings: the string_ids table decoded as UTF-8, with parser.mutf8
 * called back for the rare string that is modified UTF-8 (NUL as C0 80, surrogate pairs), under the
 * per-file budget of string bytes decoded (string ids may all point at one long string).
 * read_protos() is DexFile._read_protos (shared parameter lists, the budget of descriptor characters).
 *
 * The index side (hegui.dex.index) keeps what a large APK has half a million of in compact C objects:
 *   - PackedCode: one method's references as a window on its class's shared bytes (80 bytes instead of
 *     ~600 for a MethodCode of arrays); it looks its references up in the DEX tables without making an int
 *     per reference (invokes_at, strings_at, fields_at, type_names, references);
 *   - MethodRecord: DexIndex's MethodInfo of such a method, made by add_methods() (72 bytes, no dataclass
 *     __init__ per method);
 *   - member_keys() builds the method and field keys of a DEX's raw id tables; referencing() finds the
 *     methods with a reference in a per-DEX byte mask (the few methods a detector looks at).
 * None of these objects can be part of a reference cycle, so none is tracked by the cycle collector.
 *
 * Every read is bounds-checked against the buffer: the bytes come from an untrusted APK.
 * The instruction length and operand-kind tables are passed in from hegui.dex.opcodes so that there
 * is one source of truth for the Dalvik format.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

/* Operand kinds: must match hegui.dex.opcodes (NONE, STRING, STRING_JUMBO, TYPE, FIELD, METHOD). */
enum { K_NONE = 0, K_STRING = 1, K_STRING_JUMBO = 2, K_TYPE = 3, K_FIELD = 4, K_METHOD = 5 };

/* Per-method problem events, in the order parser.py appends them. */
enum { EV_CODE_OUTSIDE = 0, EV_CODE_PAST_END = 1, EV_ENDS_INSIDE = 2, EV_BUDGET_SPENT = 3 };

/* Outcome of a step; the error values name the Python exception the pure-Python path raises. */
enum {
    OK = 0, ERR_INDEX = 1, ERR_ULEB_LONG = 2, ERR_METHOD_RANGE = 3, ERR_WALK_BUDGET = 4, ERR_METHOD_BUDGET = 5,
    ERR_MEMORY = 6
};

static const char *const class_error_text[] = {
    NULL,
    "index out of range",        /* IndexError from bytes indexing past the end */
    "uleb128 value too long",    /* DexFormatError in parser.uleb128 */
    "method index out of range", /* DexFormatError in DexFile._read_class_data */
    "class data overlaps other classes' (budget of class data bytes spent)", /* parser.class_data_methods */
    "more methods than the file has method ids", /* DexFormatError in DexFile._read_class_data */
};

/* Growable arrays: references (uint32_t) and invoke opcodes (bytes). */
typedef struct {
    uint32_t *items;
    size_t len, cap;
} U32Vec;

typedef struct {
    uint8_t *items;
    size_t len, cap;
} ByteVec;

static int u32_push(U32Vec *v, uint32_t x) {
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        if (cap > PY_SSIZE_T_MAX / sizeof(uint32_t)) return ERR_MEMORY;
        uint32_t *p = PyMem_Realloc(v->items, cap * sizeof(uint32_t));
        if (!p) return ERR_MEMORY;
        v->items = p;
        v->cap = cap;
    }
    v->items[v->len++] = x;
    return OK;
}

static int byte_push(ByteVec *v, uint8_t x) {
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        if (cap > PY_SSIZE_T_MAX) return ERR_MEMORY;
        uint8_t *p = PyMem_Realloc(v->items, cap);
        if (!p) return ERR_MEMORY;
        v->items = p;
        v->cap = cap;
    }
    v->items[v->len++] = x;
    return OK;
}

/* What one method contributed: its ids and where its references start in the shared vectors. */
typedef struct {
    uint64_t method_idx, access;
    size_t invokes_at, strings_at, types_at, fields_at;
} MethodSpan;

typedef struct {
    MethodSpan *items;
    size_t len, cap;
} SpanVec;

typedef struct {
    uint32_t kind; /* EV_* */
    uint64_t method_idx;
} MethodEvent;

static MethodSpan *span_push(SpanVec *v) {
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        if (cap > PY_SSIZE_T_MAX / sizeof(MethodSpan)) return NULL;
        MethodSpan *p = PyMem_Realloc(v->items, cap * sizeof(MethodSpan));
        if (!p) return NULL;
        v->items = p;
        v->cap = cap;
    }
    return &v->items[v->len++];
}

/* Everything collected for one class before Python objects are made. */
typedef struct {
    U32Vec invokes, strings, types, fields;
    ByteVec invoke_ops;
    uint64_t sweep_budget; /* code units that may still be swept (DexFile._sweep_budget) */
    uint64_t method_budget; /* methods that may still be read (DexFile._method_budget) */
    SpanVec methods;
    struct {
        MethodEvent *items;
        size_t len, cap;
    } events;
} ClassScan;

static void scan_free(ClassScan *s) {
    PyMem_Free(s->invokes.items);
    PyMem_Free(s->strings.items);
    PyMem_Free(s->types.items);
    PyMem_Free(s->fields.items);
    PyMem_Free(s->invoke_ops.items);
    PyMem_Free(s->methods.items);
    PyMem_Free(s->events.items);
}

static int push_event(ClassScan *s, uint32_t kind, uint64_t method_idx) {
    if (s->events.len == s->events.cap) {
        size_t cap = s->events.cap ? s->events.cap * 2 : 8;
        if (cap > PY_SSIZE_T_MAX / sizeof(MethodEvent)) return ERR_MEMORY;
        MethodEvent *p = PyMem_Realloc(s->events.items, cap * sizeof(MethodEvent));
        if (!p) return ERR_MEMORY;
        s->events.items = p;
        s->events.cap = cap;
    }
    s->events.items[s->events.len].kind = kind;
    s->events.items[s->events.len].method_idx = method_idx;
    s->events.len++;
    return OK;
}

static int read_uleb(const uint8_t *data, size_t size, size_t *pos, uint64_t *out) {
    uint64_t result = 0;
    unsigned shift = 0;
    size_t p = *pos;
    for (;;) {
        if (p >= size) return ERR_INDEX;
        uint8_t b = data[p++];
        result |= (uint64_t)(b & 0x7F) << shift;
        if (b < 0x80) {
            *out = result;
            *pos = p;
            return OK;
        }
        shift += 7;
        if (shift > 35) return ERR_ULEB_LONG;
    }
}

/*
 * A uleb128 of the class data walk, which may not end past `walk_end` (the per-file budget of class data
 * bytes). Past it, the error is what parser.class_data_methods gives: uleb128's own error when the value is
 * unreadable in the whole buffer too, else the budget error.
 */
static int read_walk(const uint8_t *data, size_t size, size_t walk_end, size_t *pos, uint64_t *out) {
    int rc = read_uleb(data, walk_end, pos, out);
    if (rc != ERR_INDEX || walk_end >= size) return rc;
    size_t p = *pos; /* read_uleb leaves it where the value starts when it fails */
    rc = read_uleb(data, size, &p, out);
    return rc == OK ? ERR_WALK_BUDGET : rc;
}

/* Code unit `i` (little-endian); callers check i < n_units first. */
static inline uint32_t unit_at(const uint8_t *data, uint64_t i) {
    return (uint32_t)data[2 * i] | ((uint32_t)data[2 * i + 1] << 8);
}

/*
 * parser._sweep: walk units [i, end) recording references. Operands may lie past `end` but not past the
 * buffer's last whole code unit (`n_units`), exactly like indexing the Python `units` array.
 */
static int sweep(const uint8_t *data, uint64_t n_units, uint64_t i, uint64_t end, const uint8_t *lengths,
                 const uint8_t *kinds, ClassScan *s) {
    while (i < end) {
        uint32_t u = unit_at(data, i);
        uint32_t op = u & 0xFF;
        uint8_t kind = kinds[op];
        if (kind) {
            if (i + 1 >= n_units) return ERR_INDEX;
            uint32_t operand = unit_at(data, i + 1);
            int rc;
            switch (kind) {
            case K_METHOD:
                rc = u32_push(&s->invokes, operand);
                if (rc == OK) rc = byte_push(&s->invoke_ops, (uint8_t)op);
                break;
            case K_STRING:
                rc = u32_push(&s->strings, operand);
                break;
            case K_FIELD:
                rc = u32_push(&s->fields, operand);
                break;
            case K_TYPE:
                rc = u32_push(&s->types, operand);
                break;
            default: /* const-string/jumbo */
                if (i + 2 >= n_units) return ERR_INDEX;
                rc = u32_push(&s->strings, operand | (unit_at(data, i + 2) << 16));
                break;
            }
            if (rc != OK) return rc;
            i += lengths[op];
        } else if (op == 0 && u) {
            if (u == 0x0100) { /* packed-switch-payload */
                if (i + 1 >= n_units) return ERR_INDEX;
                i += 4 + (uint64_t)unit_at(data, i + 1) * 2;
            } else if (u == 0x0200) { /* sparse-switch-payload */
                if (i + 1 >= n_units) return ERR_INDEX;
                i += 2 + (uint64_t)unit_at(data, i + 1) * 4;
            } else if (u == 0x0300) { /* fill-array-data-payload */
                if (i + 3 >= n_units) return ERR_INDEX;
                uint64_t width = unit_at(data, i + 1);
                uint64_t size = unit_at(data, i + 2) | ((uint64_t)unit_at(data, i + 3) << 16);
                i += 4 + (size * width + 1) / 2;
            } else {
                i += 1;
            }
        } else {
            i += lengths[op];
        }
    }
    return OK;
}

/* parser.DexFile._scan_code for one method. */
static int scan_code(const uint8_t *data, size_t size, uint64_t method_idx, uint64_t access, uint64_t code_off,
                     const uint8_t *lengths, const uint8_t *kinds, ClassScan *s) {
    MethodSpan *span = span_push(&s->methods);
    if (!span) return ERR_MEMORY;
    span->method_idx = method_idx;
    span->access = access;
    span->invokes_at = s->invokes.len;
    span->strings_at = s->strings.len;
    span->types_at = s->types.len;
    span->fields_at = s->fields.len;
    if (!code_off) return OK;
    if (code_off + 16 > size || (code_off & 1)) return push_event(s, EV_CODE_OUTSIDE, method_idx);
    const uint8_t *p = data + code_off + 12;
    uint64_t insns_size = (uint64_t)p[0] | ((uint64_t)p[1] << 8) | ((uint64_t)p[2] << 16) | ((uint64_t)p[3] << 24);
    uint64_t n_units = size >> 1;
    uint64_t start = (code_off + 16) >> 1;
    uint64_t end = start + insns_size;
    if (end > n_units) {
        if (push_event(s, EV_CODE_PAST_END, method_idx) != OK) return ERR_MEMORY;
        end = n_units;
    }
    /* Many methods pointing at one big code item must not multiply the work: parser.py's budget. */
    if (end - start > s->sweep_budget) {
        s->sweep_budget = 0;
        return push_event(s, EV_BUDGET_SPENT, method_idx);
    }
    s->sweep_budget -= end - start;
    int rc = sweep(data, n_units, start, end, lengths, kinds, s);
    if (rc == ERR_INDEX) return push_event(s, EV_ENDS_INSIDE, method_idx);
    return rc;
}

/* parser.DexFile._read_class_data: the header counts, skipped fields, then direct and virtual methods. */
/* `*at` is where the walk starts and, on return (success or not), where it got to. */
static int read_class(const uint8_t *data, size_t size, size_t walk_end, size_t *at, uint64_t n_method_ids,
                      const uint8_t *lengths, const uint8_t *kinds, ClassScan *s) {
    uint64_t static_fields, instance_fields, direct, virtual_, skip;
    int rc;
    size_t *pos = at;
    if ((rc = read_walk(data, size, walk_end, pos, &static_fields)) != OK) return rc;
    if ((rc = read_walk(data, size, walk_end, pos, &instance_fields)) != OK) return rc;
    if ((rc = read_walk(data, size, walk_end, pos, &direct)) != OK) return rc;
    if ((rc = read_walk(data, size, walk_end, pos, &virtual_)) != OK) return rc;
    /* Each field costs at least two bytes, so this loop ends at the walk's end at the latest. */
    for (uint64_t f = 0; f < static_fields + instance_fields; f++) {
        if ((rc = read_walk(data, size, walk_end, pos, &skip)) != OK) return rc;
        if ((rc = read_walk(data, size, walk_end, pos, &skip)) != OK) return rc;
    }
    const uint64_t counts[2] = {direct, virtual_};
    for (int list = 0; list < 2; list++) {
        uint64_t method_idx = 0;
        for (uint64_t m = 0; m < counts[list]; m++) {
            uint64_t diff, access, code_off;
            if ((rc = read_walk(data, size, walk_end, pos, &diff)) != OK) return rc;
            if ((rc = read_walk(data, size, walk_end, pos, &access)) != OK) return rc;
            if ((rc = read_walk(data, size, walk_end, pos, &code_off)) != OK) return rc;
            /* method_idx < n_method_ids <= 2**32 and diff < 2**42: no overflow. */
            method_idx += diff;
            if (method_idx >= n_method_ids) return ERR_METHOD_RANGE;
            if (s->methods.len >= s->method_budget) return ERR_METHOD_BUDGET;
            if ((rc = scan_code(data, size, method_idx, access, code_off, lengths, kinds, s)) != OK) return rc;
        }
    }
    return OK;
}

/*
 * PackedCode: one method's references as a window on its class's shared tables. A MethodCode of Python objects
 * costs about 600 bytes (the object, four arrays with their buffers, the opcode bytes, two ints); a large APK
 * has half a million methods, so the code index was most of a scan's memory. This is 80 bytes, holds nothing
 * but two bytes objects (no reference cycle possible, so it is not tracked by the cycle collector), and makes
 * the reference tuples when asked (a caller reads a method's references once or twice).
 */
typedef struct {
    PyObject_HEAD
    unsigned long long method_idx, access;
    PyObject *refs; /* bytes: the class's u32 references, invokes then strings, types, fields */
    PyObject *ops;  /* bytes: the class's invoke opcodes */
    uint32_t at[4], n[4]; /* per kind (invokes, strings, types, fields): first u32 in `refs`, count */
} PackedCode;

enum { R_INVOKES = 0, R_STRINGS = 1, R_TYPES = 2, R_FIELDS = 3 };

static void packed_dealloc(PackedCode *self) {
    Py_XDECREF(self->refs);
    Py_XDECREF(self->ops);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *packed_refs(PackedCode *self, int kind) {
    uint32_t count = self->n[kind];
    PyObject *out = PyTuple_New(count);
    if (!out || !count) return out;
    const uint8_t *base = (const uint8_t *)PyBytes_AS_STRING(self->refs) + 4 * (size_t)self->at[kind];
    for (uint32_t i = 0; i < count; i++) {
        uint32_t v;
        memcpy(&v, base + 4 * (size_t)i, 4);
        PyObject *item = PyLong_FromUnsignedLong(v);
        if (!item) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, i, item);
    }
    return out;
}

static PyObject *packed_invokes(PackedCode *self, void *closure) { (void)closure; return packed_refs(self, R_INVOKES); }
static PyObject *packed_strings(PackedCode *self, void *closure) { (void)closure; return packed_refs(self, R_STRINGS); }
static PyObject *packed_types(PackedCode *self, void *closure) { (void)closure; return packed_refs(self, R_TYPES); }
static PyObject *packed_fields(PackedCode *self, void *closure) { (void)closure; return packed_refs(self, R_FIELDS); }

static PyObject *packed_invoke_ops(PackedCode *self, void *closure) {
    (void)closure;
    return PyBytes_FromStringAndSize(PyBytes_AS_STRING(self->ops) + self->at[R_INVOKES], self->n[R_INVOKES]);
}

static PyObject *packed_method_idx(PackedCode *self, void *closure) {
    (void)closure;
    return PyLong_FromUnsignedLongLong(self->method_idx);
}

static PyObject *packed_access(PackedCode *self, void *closure) {
    (void)closure;
    return PyLong_FromUnsignedLongLong(self->access);
}

static PyObject *packed_repr(PackedCode *self) {
    return PyUnicode_FromFormat("PackedCode(method_idx=%llu, access=%llu, %u invokes, %u strings, %u types, %u fields)",
                                self->method_idx, self->access, self->n[0], self->n[1], self->n[2], self->n[3]);
}

/* u32 reference `i` of kind `kind`. */
static inline uint32_t packed_ref(const PackedCode *self, int kind, uint32_t i) {
    uint32_t v;
    memcpy(&v, PyBytes_AS_STRING(self->refs) + 4 * ((size_t)self->at[kind] + i), 4);
    return v;
}

/*
 * The references of `kind` looked up in `table` (a list): table[ref] per position, or `missing` (None for
 * DexIndex.invokes_at / strings_at / field_reads_at, "L?;" for DexIndex.types) where a reference lies beyond it.
 * With `ops`, each entry is (table[ref], opcode), as DexIndex.invokes_at gives. No int object is made.
 */
static PyObject *packed_lookup(PackedCode *self, PyObject *table, int kind, int with_ops, PyObject *missing) {
    if (!PyList_Check(table)) {
        PyErr_SetString(PyExc_TypeError, "the table must be a list");
        return NULL;
    }
    uint32_t count = self->n[kind];
    PyObject *out = PyList_New(count);
    if (!out) return NULL;
    const uint8_t *ops = (const uint8_t *)PyBytes_AS_STRING(self->ops) + self->at[R_INVOKES];
    for (uint32_t i = 0; i < count; i++) {
        uint32_t ref = packed_ref(self, kind, i);
        PyObject *item;
        if ((Py_ssize_t)ref < PyList_GET_SIZE(table)) {
            PyObject *value = PyList_GET_ITEM(table, ref);
            if (with_ops) {
                PyObject *op = PyLong_FromLong(ops[i]); /* small ints: cached by CPython */
                item = op ? PyTuple_Pack(2, value, op) : NULL;
                Py_XDECREF(op);
            } else {
                Py_INCREF(value);
                item = value;
            }
        } else {
            Py_INCREF(missing);
            item = missing;
        }
        if (!item) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, item);
    }
    return out;
}

static PyObject *unknown_type_name; /* "L?;", DexFile.type_name of an index beyond the table */

static PyObject *packed_invokes_at(PackedCode *self, PyObject *refs) {
    return packed_lookup(self, refs, R_INVOKES, 1, Py_None);
}
static PyObject *packed_strings_at(PackedCode *self, PyObject *table) {
    return packed_lookup(self, table, R_STRINGS, 0, Py_None);
}
static PyObject *packed_fields_at(PackedCode *self, PyObject *refs) {
    return packed_lookup(self, refs, R_FIELDS, 0, Py_None);
}
static PyObject *packed_type_names(PackedCode *self, PyObject *types) {
    return packed_lookup(self, types, R_TYPES, 0, unknown_type_name);
}

/* packed_lookup without the entries beyond the table (DexIndex.invokes / strings / field_reads). */
static PyObject *packed_present(PackedCode *self, PyObject *table, int kind, int with_ops) {
    PyObject *all = packed_lookup(self, table, kind, with_ops, Py_None);
    if (!all) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(all), kept = 0;
    for (Py_ssize_t i = 0; i < n; i++) kept += PyList_GET_ITEM(all, i) != Py_None;
    if (kept == n) return all;
    PyObject *out = PyList_New(kept);
    if (out) {
        for (Py_ssize_t i = 0, j = 0; i < n; i++) {
            PyObject *item = PyList_GET_ITEM(all, i);
            if (item != Py_None) {
                Py_INCREF(item);
                PyList_SET_ITEM(out, j++, item);
            }
        }
    }
    Py_DECREF(all);
    return out;
}

static PyObject *packed_references(PackedCode *self, PyObject *args) {
    PyObject *keys, *strings, *types, *field_keys;
    if (!PyArg_ParseTuple(args, "OOOO:references", &keys, &strings, &types, &field_keys)) return NULL;
    PyObject *parts[4] = {
        packed_present(self, keys, R_INVOKES, 1),
        NULL, NULL, NULL,
    };
    if (parts[0]) parts[1] = packed_lookup(self, types, R_TYPES, 0, unknown_type_name);
    if (parts[1]) parts[2] = packed_present(self, field_keys, R_FIELDS, 0);
    if (parts[2]) parts[3] = packed_present(self, strings, R_STRINGS, 0);
    PyObject *out = parts[3] ? PyTuple_Pack(4, parts[0], parts[1], parts[2], parts[3]) : NULL;
    for (int k = 0; k < 4; k++) Py_XDECREF(parts[k]);
    return out;
}

static PyMethodDef packed_methods[] = {
    {"references", (PyCFunction)packed_references, METH_VARARGS,
     "references(method_keys, strings, types, field_keys) -> (invokes, types, field_reads, strings): "
     "DexIndex.references for this method"},
    {"invokes_at", (PyCFunction)packed_invokes_at, METH_O,
     "invokes_at(method_keys) -> [(key, opcode) or None]: DexIndex.invokes_at for this method"},
    {"strings_at", (PyCFunction)packed_strings_at, METH_O,
     "strings_at(strings) -> [str or None]: DexIndex.strings_at for this method"},
    {"fields_at", (PyCFunction)packed_fields_at, METH_O,
     "fields_at(field_keys) -> [key or None]: DexIndex.field_reads_at for this method"},
    {"type_names", (PyCFunction)packed_type_names, METH_O,
     "type_names(types) -> [str]: DexIndex.types for this method ('L?;' beyond the table)"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef packed_getset[] = {
    {"method_idx", (getter)packed_method_idx, NULL, "method_ids index of the method", NULL},
    {"access", (getter)packed_access, NULL, "access flags", NULL},
    {"invokes", (getter)packed_invokes, NULL, "method_ids indices of its invokes, in instruction order", NULL},
    {"invoke_ops", (getter)packed_invoke_ops, NULL, "the opcode of each entry of `invokes`", NULL},
    {"strings", (getter)packed_strings, NULL, "string_ids indices (const-string)", NULL},
    {"types", (getter)packed_types, NULL, "type_ids indices (new-instance / const-class)", NULL},
    {"fields", (getter)packed_fields, NULL, "field_ids indices (iget*/sget*)", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject PackedCodeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hegui.dex._speedups.PackedCode",
    .tp_basicsize = sizeof(PackedCode),
    .tp_dealloc = (destructor)packed_dealloc,
    .tp_repr = (reprfunc)packed_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "References made by one method's instructions (parser.MethodCode's attributes, as tuples), read-only.",
    .tp_getset = packed_getset,
    .tp_methods = packed_methods,
};

/*
 * MethodRecord: DexIndex's MethodInfo for a method read by the C path (the same attributes, read-only). The
 * Python dataclass costs 104 bytes and an int for its access flags per method, and building half a million of
 * them through the dataclass __init__ was a fifth of indexing; this is 72 bytes, made by add_methods() below.
 * It holds its DexFile, names and code record but nothing refers back to it from those, so it cannot be part of
 * a reference cycle and is not tracked by the cycle collector.
 */
typedef struct {
    PyObject_HEAD
    uint32_t id;
    unsigned long long access;
    PyObject *cls, *name, *proto, *dex, *code;
} MethodRecord;

static void record_dealloc(MethodRecord *self) {
    Py_XDECREF(self->cls);
    Py_XDECREF(self->name);
    Py_XDECREF(self->proto);
    Py_XDECREF(self->dex);
    Py_XDECREF(self->code);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

#define RECORD_OBJECT_GETTER(field)                                          \
    static PyObject *record_##field(MethodRecord *self, void *closure) {     \
        (void)closure;                                                       \
        Py_INCREF(self->field);                                              \
        return self->field;                                                  \
    }
RECORD_OBJECT_GETTER(cls)
RECORD_OBJECT_GETTER(name)
RECORD_OBJECT_GETTER(proto)
RECORD_OBJECT_GETTER(dex)
RECORD_OBJECT_GETTER(code)

static PyObject *record_id(MethodRecord *self, void *closure) {
    (void)closure;
    return PyLong_FromUnsignedLong(self->id);
}

static PyObject *record_access(MethodRecord *self, void *closure) {
    (void)closure;
    return PyLong_FromUnsignedLongLong(self->access);
}

static PyObject *record_key(MethodRecord *self, void *closure) {
    (void)closure;
    return PyTuple_Pack(3, self->cls, self->name, self->proto);
}

/* index.descriptor_to_java: ``Lcom/a/B;`` -> ``com.a.B``; anything else unchanged. */
static PyObject *descriptor_to_java(PyObject *desc) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(desc);
    if (n < 2 || PyUnicode_READ_CHAR(desc, 0) != 'L' || PyUnicode_READ_CHAR(desc, n - 1) != ';') {
        Py_INCREF(desc);
        return desc;
    }
    PyObject *inner = PyUnicode_Substring(desc, 1, n - 1);
    if (!inner) return NULL;
    PyObject *slash = PyUnicode_FromOrdinal('/'), *dot = slash ? PyUnicode_FromOrdinal('.') : NULL;
    PyObject *out = dot ? PyUnicode_Replace(inner, slash, dot, -1) : NULL;
    Py_XDECREF(slash);
    Py_XDECREF(dot);
    Py_DECREF(inner);
    return out;
}

static PyObject *record_java(MethodRecord *self, PyObject *unused) {
    (void)unused;
    PyObject *java = descriptor_to_java(self->cls);
    if (!java) return NULL;
    PyObject *out = PyUnicode_FromFormat("%U#%U", java, self->name);
    Py_DECREF(java);
    return out;
}

static PyObject *record_repr(MethodRecord *self) {
    return PyUnicode_FromFormat("MethodInfo(id=%u, cls=%R, name=%R, proto=%R, access=%llu)", self->id, self->cls,
                                self->name, self->proto, self->access);
}

static PyGetSetDef record_getset[] = {
    {"id", (getter)record_id, NULL, "position in DexIndex.methods", NULL},
    {"cls", (getter)record_cls, NULL, "class descriptor", NULL},
    {"name", (getter)record_name, NULL, "method name", NULL},
    {"proto", (getter)record_proto, NULL, "proto descriptor", NULL},
    {"access", (getter)record_access, NULL, "access flags", NULL},
    {"dex", (getter)record_dex, NULL, "the DexFile defining it", NULL},
    {"code", (getter)record_code, NULL, "its code record (PackedCode)", NULL},
    {"key", (getter)record_key, NULL, "(cls, name, proto)", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef record_methods[] = {
    {"java", (PyCFunction)record_java, METH_NOARGS, "``com.a.B#name``"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject MethodRecordType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hegui.dex._speedups.MethodRecord",
    .tp_basicsize = sizeof(MethodRecord),
    .tp_dealloc = (destructor)record_dealloc,
    .tp_repr = (reprfunc)record_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One method of a DexIndex (index.MethodInfo's attributes), read-only.",
    .tp_getset = record_getset,
    .tp_methods = record_methods,
};

PyDoc_STRVAR(add_methods_doc,
             "add_methods(codes, method_keys, cls, dex, methods, by_name, pairs) -> None\n"
             "\n"
             "DexIndex.add_parsed's per-method step for one class: for each PackedCode of `codes`, append a\n"
             "MethodRecord (id = its position in `methods`, name and proto from method_keys[code.method_idx]) to\n"
             "`methods` and set by_name[(name, proto)] = id, the (name, proto) tuple taken from `pairs` (one per\n"
             "distinct pair). The caller has checked that every method_idx is inside `method_keys`.");

static PyObject *add_methods(PyObject *module, PyObject *args) {
    PyObject *codes, *keys, *cls, *dex, *methods, *by_name, *pairs;
    (void)module;
    if (!PyArg_ParseTuple(args, "O!O!UOO!O!O!:add_methods", &PyList_Type, &codes, &PyList_Type, &keys, &cls, &dex,
                          &PyList_Type, &methods, &PyDict_Type, &by_name, &PyDict_Type, &pairs))
        return NULL;
    Py_ssize_t count = PyList_GET_SIZE(codes);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(codes, i);
        if (!Py_IS_TYPE(item, &PackedCodeType)) {
            PyErr_SetString(PyExc_TypeError, "add_methods takes PackedCode records");
            return NULL;
        }
        PackedCode *code = (PackedCode *)item;
        if (code->method_idx >= (unsigned long long)PyList_GET_SIZE(keys)) {
            PyErr_SetString(PyExc_IndexError, "method index beyond the method keys");
            return NULL;
        }
        PyObject *key = PyList_GET_ITEM(keys, (Py_ssize_t)code->method_idx);
        if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 3) {
            PyErr_SetString(PyExc_TypeError, "method keys must be (class, name, proto) tuples");
            return NULL;
        }
        Py_ssize_t mid = PyList_GET_SIZE(methods);
        if (mid > (Py_ssize_t)UINT32_MAX) return PyErr_NoMemory();
        MethodRecord *rec = PyObject_New(MethodRecord, &MethodRecordType);
        if (!rec) return NULL;
        rec->id = (uint32_t)mid;
        rec->access = code->access;
        PyObject *name = PyTuple_GET_ITEM(key, 1), *proto = PyTuple_GET_ITEM(key, 2);
        Py_INCREF(cls);
        rec->cls = cls;
        Py_INCREF(name);
        rec->name = name;
        Py_INCREF(proto);
        rec->proto = proto;
        Py_INCREF(dex);
        rec->dex = dex;
        Py_INCREF(item);
        rec->code = item;
        int rc = PyList_Append(methods, (PyObject *)rec);
        Py_DECREF(rec);
        if (rc < 0) return NULL;
        PyObject *pair = PyTuple_Pack(2, name, proto);
        if (!pair) return NULL;
        PyObject *shared = PyDict_SetDefault(pairs, pair, pair); /* borrowed */
        PyObject *id = shared ? PyLong_FromSsize_t(mid) : NULL;
        rc = id ? PyDict_SetItem(by_name, shared, id) : -1;
        Py_XDECREF(id);
        Py_DECREF(pair);
        if (rc < 0) return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(referencing_doc,
             "referencing(methods, start, end, kind, mask) -> list\n"
             "\n"
             "The MethodRecords of methods[start:end] with a reference of `kind` (0 invokes, 1 strings, 2 types,\n"
             "3 fields) whose index has a non-zero byte in `mask` (indices past its end count as not wanted),\n"
             "in order.");

static PyObject *referencing(PyObject *module, PyObject *args) {
    PyObject *methods;
    Py_ssize_t start, end;
    int kind;
    Py_buffer mask;
    (void)module;
    if (!PyArg_ParseTuple(args, "O!nniy*:referencing", &PyList_Type, &methods, &start, &end, &kind, &mask))
        return NULL;
    PyObject *out = NULL;
    if (kind < R_INVOKES || kind > R_FIELDS) {
        PyErr_SetString(PyExc_ValueError, "kind must be 0 (invokes), 1 (strings), 2 (types) or 3 (fields)");
        goto done;
    }
    if (start < 0) start = 0;
    if (end > PyList_GET_SIZE(methods)) end = PyList_GET_SIZE(methods);
    out = PyList_New(0);
    const uint8_t *wanted = (const uint8_t *)mask.buf;
    for (Py_ssize_t i = start; out && i < end; i++) {
        PyObject *item = PyList_GET_ITEM(methods, i);
        if (!Py_IS_TYPE(item, &MethodRecordType) || !Py_IS_TYPE(((MethodRecord *)item)->code, &PackedCodeType)) {
            PyErr_SetString(PyExc_TypeError, "referencing takes MethodRecords of PackedCode");
            Py_CLEAR(out);
            break;
        }
        const PackedCode *code = (const PackedCode *)((MethodRecord *)item)->code;
        for (uint32_t k = 0; k < code->n[kind]; k++) {
            uint32_t ref = packed_ref(code, kind, k);
            if ((Py_ssize_t)ref < mask.len && wanted[ref]) {
                if (PyList_Append(out, item) < 0) Py_CLEAR(out);
                break;
            }
        }
    }
done:
    PyBuffer_Release(&mask);
    return out;
}

/* The class's references, kind after kind, as one bytes object. */
static PyObject *make_all_refs(const ClassScan *s) {
    size_t total = s->invokes.len + s->strings.len + s->types.len + s->fields.len;
    if (total > UINT32_MAX) return PyErr_NoMemory();
    PyObject *raw = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(total * sizeof(uint32_t)));
    if (!raw) return NULL;
    char *out = PyBytes_AS_STRING(raw);
    const U32Vec *parts[4] = {&s->invokes, &s->strings, &s->types, &s->fields};
    for (int k = 0; k < 4; k++) {
        if (parts[k]->len) memcpy(out, parts[k]->items, parts[k]->len * sizeof(uint32_t));
        out += parts[k]->len * sizeof(uint32_t);
    }
    return raw;
}

static PyObject *build_methods(const ClassScan *s) {
    PyObject *methods = PyList_New((Py_ssize_t)s->methods.len);
    if (!methods || s->methods.len == 0) return methods;
    PyObject *refs = make_all_refs(s);
    PyObject *ops = refs ? PyBytes_FromStringAndSize((const char *)s->invoke_ops.items, (Py_ssize_t)s->invoke_ops.len)
                         : NULL;
    if (!ops) {
        Py_XDECREF(refs);
        Py_DECREF(methods);
        return NULL;
    }
    /* Where each kind starts inside `refs`. */
    const size_t base[4] = {0, s->invokes.len, s->invokes.len + s->strings.len,
                            s->invokes.len + s->strings.len + s->types.len};
    const size_t total[4] = {s->invokes.len, s->strings.len, s->types.len, s->fields.len};
    for (size_t m = 0; m < s->methods.len; m++) {
        const MethodSpan *span = &s->methods.items[m];
        const MethodSpan *next = m + 1 == s->methods.len ? NULL : &s->methods.items[m + 1];
        const size_t start[4] = {span->invokes_at, span->strings_at, span->types_at, span->fields_at};
        const size_t stop[4] = {next ? next->invokes_at : total[0], next ? next->strings_at : total[1],
                                next ? next->types_at : total[2], next ? next->fields_at : total[3]};
        PackedCode *code = PyObject_New(PackedCode, &PackedCodeType);
        if (!code) {
            Py_DECREF(refs);
            Py_DECREF(ops);
            Py_DECREF(methods);
            return NULL;
        }
        code->method_idx = span->method_idx;
        code->access = span->access;
        Py_INCREF(refs);
        code->refs = refs;
        Py_INCREF(ops);
        code->ops = ops;
        for (int k = 0; k < 4; k++) {
            code->at[k] = (uint32_t)(base[k] + start[k]);
            code->n[k] = (uint32_t)(stop[k] - start[k]);
        }
        code->at[R_INVOKES] = (uint32_t)start[R_INVOKES]; /* the same position indexes `ops` */
        PyList_SET_ITEM(methods, (Py_ssize_t)m, (PyObject *)code);
    }
    Py_DECREF(refs);
    Py_DECREF(ops);
    return methods;
}

static PyObject *build_events(const ClassScan *s) {
    PyObject *events = PyList_New((Py_ssize_t)s->events.len);
    if (!events) return NULL;
    for (size_t e = 0; e < s->events.len; e++) {
        PyObject *event = Py_BuildValue("(IK)", (unsigned int)s->events.items[e].kind,
                                        (unsigned long long)s->events.items[e].method_idx);
        if (!event) {
            Py_DECREF(events);
            return NULL;
        }
        PyList_SET_ITEM(events, (Py_ssize_t)e, event);
    }
    return events;
}

/* parser.DexFile._read_strings scans at most this far for a string's NUL terminator. */
#define STRING_SCAN_LIMIT (4 * 65536 * 3)

PyDoc_STRVAR(read_strings_doc,
             "read_strings(data, offset, count, mutf8, budget) -> (strings, unreadable, over_budget, budget)\n"
             "\n"
             "The `count` strings of the string_ids table at `offset` (which the caller has bounds-checked).\n"
             "Each is decoded as UTF-8; bytes that are not valid UTF-8 are passed to `mutf8` (parser.mutf8).\n"
             "An unreadable string (offset or length prefix past the end, no NUL in reach) is '' and counted;\n"
             "so is one longer than what is left of `budget` (bytes of string data), which is handed back.");

static PyObject *read_strings(PyObject *module, PyObject *args) {
    Py_buffer data;
    unsigned long long offset, count, budget;
    PyObject *mutf8;
    (void)module;
    if (!PyArg_ParseTuple(args, "y*KKOK:read_strings", &data, &offset, &count, &mutf8, &budget)) return NULL;
    PyObject *strings = NULL, *result = NULL, *empty = NULL;
    const uint8_t *bytes = (const uint8_t *)data.buf;
    const size_t size = (size_t)data.len;
    if (count && (count > (unsigned long long)data.len / 4 || offset > (unsigned long long)data.len - count * 4)) {
        PyErr_SetString(PyExc_ValueError, "string_ids table lies outside the data");
        goto done;
    }
    empty = PyUnicode_New(0, 0);
    strings = empty ? PyList_New((Py_ssize_t)count) : NULL;
    if (!strings) goto done;
    unsigned long long unreadable = 0, over_budget = 0;
    for (unsigned long long i = 0; i < count; i++) {
        const uint8_t *id = bytes + offset + 4 * i;
        size_t pos = (size_t)id[0] | ((size_t)id[1] << 8) | ((size_t)id[2] << 16) | ((size_t)id[3] << 24);
        uint64_t utf16_size;
        const uint8_t *nul = NULL;
        /* As in Python: the uleb128 must be readable, and the NUL found in [pos, min(size, pos + limit)). */
        if (read_uleb(bytes, size, &pos, &utf16_size) == OK && pos < size) {
            size_t reach = size - pos < STRING_SCAN_LIMIT ? size - pos : STRING_SCAN_LIMIT;
            nul = memchr(bytes + pos, 0, reach);
        }
        PyObject *text;
        if (!nul) {
            unreadable++;
            Py_INCREF(empty);
            text = empty;
        } else if ((unsigned long long)(nul - (bytes + pos)) > budget) {
            over_budget++;
            Py_INCREF(empty);
            text = empty;
        } else {
            budget -= (unsigned long long)(nul - (bytes + pos));
            Py_ssize_t length = (Py_ssize_t)(nul - (bytes + pos));
            text = PyUnicode_DecodeUTF8((const char *)bytes + pos, length, NULL);
            if (!text && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
                PyErr_Clear();
                PyObject *raw = PyBytes_FromStringAndSize((const char *)bytes + pos, length);
                text = raw ? PyObject_CallOneArg(mutf8, raw) : NULL;
                Py_XDECREF(raw);
                /* _read_strings counts a string mutf8 cannot decode either (ValueError) as unreadable. */
                if (!text && (PyErr_ExceptionMatches(PyExc_ValueError) || PyErr_ExceptionMatches(PyExc_IndexError))) {
                    PyErr_Clear();
                    unreadable++;
                    Py_INCREF(empty);
                    text = empty;
                }
            }
            if (!text) goto done;
        }
        PyList_SET_ITEM(strings, (Py_ssize_t)i, text);
    }
    result = Py_BuildValue("(OKKK)", strings, unreadable, over_budget, budget);
done:
    Py_XDECREF(strings);
    Py_XDECREF(empty);
    PyBuffer_Release(&data);
    return result;
}

/* Entry `idx` of list `names`, or `fallback` (borrowed references). */
static inline PyObject *name_at(PyObject *names, long idx, PyObject *fallback) {
    return idx >= 0 && idx < PyList_GET_SIZE(names) ? PyList_GET_ITEM(names, idx) : fallback;
}

PyDoc_STRVAR(member_keys_doc,
             "member_keys(ids, types, strings, protos) -> list\n"
             "\n"
             "DexFile.method_ref / field_ref for every 8-byte entry of `ids` (the raw method_ids or field_ids\n"
             "table: u16 class_idx, u16 proto_idx or type_idx, u32 name_idx): with `protos` a list,\n"
             "(class, name, proto) method keys; with protos None, (class, name) field keys. Indices beyond a\n"
             "table give 'L?;', '' and '()V', as in parser.py.");

static PyObject *member_keys(PyObject *module, PyObject *args) {
    Py_buffer ids;
    PyObject *types, *strings, *protos;
    (void)module;
    if (!PyArg_ParseTuple(args, "y*O!O!O:member_keys", &ids, &PyList_Type, &types, &PyList_Type, &strings, &protos))
        return NULL;
    PyObject *out = NULL, *unknown_type = NULL, *no_name = NULL, *no_proto = NULL;
    if (protos != Py_None && !PyList_Check(protos)) {
        PyErr_SetString(PyExc_TypeError, "protos must be a list or None");
        goto done;
    }
    unknown_type = PyUnicode_FromString("L?;");
    no_name = PyUnicode_New(0, 0);
    no_proto = PyUnicode_FromString("()V");
    if (!unknown_type || !no_name || !no_proto) goto done;
    const Py_ssize_t count = ids.len / 8;
    out = PyList_New(count);
    const uint8_t *raw = (const uint8_t *)ids.buf;
    for (Py_ssize_t i = 0; out && i < count; i++) {
        const uint8_t *e = raw + 8 * i;
        long cls = (long)e[0] | ((long)e[1] << 8);
        long mid = (long)e[2] | ((long)e[3] << 8);
        long name = (long)((uint32_t)e[4] | ((uint32_t)e[5] << 8) | ((uint32_t)e[6] << 16) | ((uint32_t)e[7] << 24));
        PyObject *key = protos == Py_None
            ? PyTuple_Pack(2, name_at(types, cls, unknown_type), name_at(strings, name, no_name))
            : PyTuple_Pack(3, name_at(types, cls, unknown_type), name_at(strings, name, no_name),
                           name_at(protos, mid, no_proto));
        if (!key) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, i, key);
    }
done:
    Py_XDECREF(unknown_type);
    Py_XDECREF(no_name);
    Py_XDECREF(no_proto);
    PyBuffer_Release(&ids);
    return out;
}

static inline uint32_t u32_at(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* DexFile.type_name: types[idx], or "L?;" beyond the table (a new reference). */
static inline PyObject *type_name_ref(PyObject *types, uint32_t idx) {
    PyObject *name = (Py_ssize_t)idx < PyList_GET_SIZE(types) ? PyList_GET_ITEM(types, idx) : unknown_type_name;
    Py_INCREF(name);
    return name;
}

#define MAX_PARAMETERS 255 /* parser.MAX_PARAMETERS */

/*
 * The parameter descriptors of the type_list at `off`: their concatenation, or "" and *why (a new str) when
 * the list is unreadable, as parser.DexFile._type_list(off, MAX_PARAMETERS, "parameters", 1 << 32) says.
 */
static PyObject *parameter_text(const uint8_t *data, size_t size, size_t off, PyObject *types, PyObject **why) {
    *why = NULL;
    if (off + 4 > size) {
        *why = PyUnicode_FromString("outside the file");
        return *why ? PyUnicode_New(0, 0) : NULL;
    }
    uint32_t count = u32_at(data + off);
    if (count > MAX_PARAMETERS) {
        *why = PyUnicode_FromFormat("%u parameters declared, at most %d", count, MAX_PARAMETERS);
        return *why ? PyUnicode_New(0, 0) : NULL;
    }
    if (off + 4 + 2 * (size_t)count > size) {
        *why = PyUnicode_FromFormat("%u parameters declared, the file ends first", count);
        return *why ? PyUnicode_New(0, 0) : NULL;
    }
    PyObject *names = PyList_New(count);
    if (!names) return NULL;
    for (uint32_t k = 0; k < count; k++) {
        const uint8_t *e = data + off + 4 + 2 * (size_t)k;
        PyList_SET_ITEM(names, k, type_name_ref(types, (uint32_t)e[0] | ((uint32_t)e[1] << 8)));
    }
    PyObject *empty = PyUnicode_New(0, 0);
    PyObject *text = empty ? PyUnicode_Join(empty, names) : NULL;
    Py_XDECREF(empty);
    Py_DECREF(names);
    return text;
}

PyDoc_STRVAR(read_protos_doc,
             "read_protos(data, offset, count, types, text_budget) -> (protos, problems, text_budget)\n"
             "\n"
             "DexFile._read_protos: the descriptor of each of the `count` proto_id_items at `offset` (bounds\n"
             "checked by the caller), parameter lists shared by offset. problems: in order, (proto index, why)\n"
             "for a bad parameter list and (proto index, None) where the budget of descriptor characters ran\n"
             "out (that proto and later ones are '(?)V'); the budget (-1 once spent) is handed back.");

static PyObject *read_protos(PyObject *module, PyObject *args) {
    Py_buffer data;
    unsigned long long offset, count;
    long long budget;
    PyObject *types;
    (void)module;
    if (!PyArg_ParseTuple(args, "y*KKO!L:read_protos", &data, &offset, &count, &PyList_Type, &types, &budget))
        return NULL;
    PyObject *protos = NULL, *problems = NULL, *lists = NULL, *unnamed = NULL, *result = NULL;
    const uint8_t *bytes = (const uint8_t *)data.buf;
    const size_t size = (size_t)data.len;
    if (count && (count > (unsigned long long)size / 12 || offset > (unsigned long long)size - count * 12)) {
        PyErr_SetString(PyExc_ValueError, "proto_ids table lies outside the data");
        goto done;
    }
    protos = PyList_New((Py_ssize_t)count);
    problems = PyList_New(0);
    lists = PyDict_New(); /* parameter text by list offset: protos may share a list */
    unnamed = PyUnicode_FromString("(?)V");
    if (!protos || !problems || !lists || !unnamed) goto done;
    for (unsigned long long i = 0; i < count; i++) {
        const uint8_t *item = bytes + offset + 12 * i;
        uint32_t ret_idx = u32_at(item + 4), params_off = u32_at(item + 8);
        PyObject *params = NULL;
        if (params_off) {
            PyObject *key = PyLong_FromUnsignedLong(params_off);
            if (!key) goto done;
            params = PyDict_GetItemWithError(lists, key);
            if (params) {
                Py_INCREF(params);
            } else if (!PyErr_Occurred()) {
                PyObject *why;
                params = parameter_text(bytes, size, params_off, types, &why);
                if (params && why) {
                    PyObject *problem = Py_BuildValue("(KO)", i, why);
                    if (!problem || PyList_Append(problems, problem) < 0) Py_CLEAR(params);
                    Py_XDECREF(problem);
                }
                Py_XDECREF(why);
                if (params && PyDict_SetItem(lists, key, params) < 0) Py_CLEAR(params);
            }
            Py_DECREF(key);
            if (!params) goto done;
        }
        PyObject *ret = type_name_ref(types, ret_idx);
        PyObject *text = params ? PyUnicode_FromFormat("(%U)%U", params, ret) : PyUnicode_FromFormat("()%U", ret);
        Py_DECREF(ret);
        Py_XDECREF(params);
        if (!text) goto done;
        long long length = (long long)PyUnicode_GET_LENGTH(text);
        if (length > budget) {
            if (budget >= 0) {
                PyObject *problem = Py_BuildValue("(KO)", i, Py_None);
                int rc = problem ? PyList_Append(problems, problem) : -1;
                Py_XDECREF(problem);
                if (rc < 0) {
                    Py_DECREF(text);
                    goto done;
                }
            }
            budget = -1;
            Py_DECREF(text);
            Py_INCREF(unnamed);
            text = unnamed;
        } else {
            budget -= length;
        }
        PyList_SET_ITEM(protos, (Py_ssize_t)i, text);
    }
    result = Py_BuildValue("(OOL)", protos, problems, budget);
done:
    Py_XDECREF(protos);
    Py_XDECREF(problems);
    Py_XDECREF(lists);
    Py_XDECREF(unnamed);
    PyBuffer_Release(&data);
    return result;
}

PyDoc_STRVAR(read_class_data_doc,
             "read_class_data(data, offset, n_method_ids, lengths, kinds, budget, walk_budget, method_budget)\n"
             "    -> (methods, events, error, budget, walked)\n"
             "\n"
             "Read the class_data_item at `offset` of DEX bytes `data` and sweep the code of its methods.\n"
             "`lengths` and `kinds` are the 256-byte tables of hegui.dex.opcodes.\n"
             "methods: a PackedCode per method, direct then virtual (empty when `error` is set);\n"
             "events: (kind, method_idx) per-method problems in order: 0 code outside the file, 1 code runs past\n"
             "the file end, 2 ends inside an instruction, 3 not swept as the budget of code units is spent;\n"
             "error: None, or why the class data is unreadable (the text parser.py's exception would carry);\n"
             "budget: how many code units may still be swept, after this class (passed back in for the next);\n"
             "walk_budget: class data bytes that may still be walked; walked: the bytes this class took of it;\n"
             "method_budget: a class with more methods is unreadable (duplicated method indices).");

static PyObject *read_class_data(PyObject *module, PyObject *args) {
    Py_buffer data, lengths, kinds;
    unsigned long long offset, n_method_ids, budget, walk_budget, method_budget;
    (void)module;
    if (!PyArg_ParseTuple(args, "y*KKy*y*KKK:read_class_data", &data, &offset, &n_method_ids, &lengths, &kinds,
                          &budget, &walk_budget, &method_budget))
        return NULL;
    PyObject *result = NULL;
    if (lengths.len != 256 || kinds.len != 256) {
        PyErr_SetString(PyExc_ValueError, "lengths and kinds must be 256-byte opcode tables");
        goto done;
    }
    for (int op = 0; op < 256; op++) {
        /* A zero length would never advance; a kind beyond METHOD would be treated as jumbo. */
        if (((const uint8_t *)lengths.buf)[op] == 0 || ((const uint8_t *)kinds.buf)[op] > K_METHOD) {
            PyErr_SetString(PyExc_ValueError, "opcode tables hold an invalid length or kind");
            goto done;
        }
    }
    ClassScan scan;
    memset(&scan, 0, sizeof scan);
    scan.sweep_budget = budget;
    scan.method_budget = method_budget;
    size_t at = (size_t)offset;
    int rc = ERR_INDEX;
    if (offset < (unsigned long long)data.len) {
        size_t size = (size_t)data.len;
        size_t walk_end = walk_budget < size - at ? at + (size_t)walk_budget : size;
        rc = read_class((const uint8_t *)data.buf, size, walk_end, &at, n_method_ids, (const uint8_t *)lengths.buf,
                        (const uint8_t *)kinds.buf, &scan);
    }
    unsigned long long walked = (unsigned long long)(at - (size_t)offset);
    if (rc == ERR_MEMORY) {
        PyErr_NoMemory();
    } else {
        PyObject *methods = rc == OK ? build_methods(&scan) : PyList_New(0);
        PyObject *events = methods ? build_events(&scan) : NULL;
        if (methods && events) {
            if (rc == OK)
                result = Py_BuildValue("(OOOKK)", methods, events, Py_None, (unsigned long long)scan.sweep_budget,
                                       walked);
            else
                result = Py_BuildValue("(OOsKK)", methods, events, class_error_text[rc],
                                       (unsigned long long)scan.sweep_budget, walked);
        }
        Py_XDECREF(methods);
        Py_XDECREF(events);
    }
    scan_free(&scan);
done:
    PyBuffer_Release(&data);
    PyBuffer_Release(&lengths);
    PyBuffer_Release(&kinds);
    return result;
}

static PyMethodDef speedups_methods[] = {
    {"read_class_data", read_class_data, METH_VARARGS, read_class_data_doc},
    {"read_strings", read_strings, METH_VARARGS, read_strings_doc},
    {"member_keys", member_keys, METH_VARARGS, member_keys_doc},
    {"add_methods", add_methods, METH_VARARGS, add_methods_doc},
    {"read_protos", read_protos, METH_VARARGS, read_protos_doc},
    {"referencing", referencing, METH_VARARGS, referencing_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "hegui.dex._speedups",
    .m_doc = "C implementation of hegui.dex.parser's class-data reading and bytecode sweep.",
    .m_size = -1,
    .m_methods = speedups_methods,
};

PyMODINIT_FUNC PyInit__speedups(void) {
    unknown_type_name = PyUnicode_InternFromString("L?;");
    if (!unknown_type_name) return NULL;
    if (PyType_Ready(&PackedCodeType) < 0 || PyType_Ready(&MethodRecordType) < 0) return NULL;
    PyObject *module = PyModule_Create(&speedups_module);
    if (!module) return NULL;
    if (PyModule_AddObjectRef(module, "PackedCode", (PyObject *)&PackedCodeType) < 0 ||
        PyModule_AddObjectRef(module, "MethodRecord", (PyObject *)&MethodRecordType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
