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
 * reachability() is the worklist fixpoint of hegui.dex.callgraph.Reachability over those records (see the
 * section at its definition); packed_index() says whether an index is made of them; id_entries() filters a
 * raw method_ids/field_ids table for the consent guards.
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

/*
 * ============================================================================================================
 * reachability(): the worklist fixpoint of hegui.dex.callgraph.Reachability (rapid type analysis) in C.
 *
 * Every step mirrors a method of the Python class, in the same order, so that the result is identical: the
 * same reached methods, and the same predecessor of each (evidence paths come from it), which depends on the
 * order in which methods are queued. The correspondence:
 *
 *   reach            Reachability._reach            init_class        _init_class
 *   instantiate      _instantiate                   create_by_fw      _create_by_framework
 *   fw_callbacks     _framework_callbacks           click_handlers    _click_handlers
 *   virtual_call     _virtual_call                  user_callback     _user_callback
 *   process          one step of _run               reflective_call   _reflective_call
 *   by_name_add      _add_by_name                   reach_named       _reach_named
 *   inst_by_name     _instantiate_by_name           resolve           DexIndex.resolve
 *
 * Classes, (name, proto) pairs and names get small integer ids on first sight (through dicts keyed by their
 * strings), each DEX's method_ids / type_ids / field_ids / string_ids entries are mapped to those ids once,
 * lazily, and a method's references are read straight from its PackedCode: no tuple or dict per reference.
 * What is rare and intricate stays in Python and is called back: the consent guards of a method (only for
 * a method with a call returning boolean or a read of a boolean field; without one, ConsentGuards.sites is
 * None), whether a method hands class names to a loader, and the framework types above a set of framework
 * supertypes (one call per distinct set; the callback kind of each name is then decided here from their
 * method-name sets, as Reachability._callback_kind decides it).
 * Everything allocated here is freed before reachability() returns.
 */

enum { NO_VIA = -1, ABSENT = -2 };
enum { KIND_NONE = 0, KIND_FRAMEWORK = 1, KIND_USER = 2 };
#define ACC_STATIC_FLAG 0x8
#define ACC_ABSTRACT_FLAG 0x400

typedef struct {
    int32_t *v;
    size_t len, cap;
} IVec;

static int ivec_push(IVec *a, int32_t x) {
    if (a->len == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        int32_t *p = PyMem_Realloc(a->v, cap * sizeof(int32_t));
        if (!p) {
            PyErr_NoMemory();
            return -1;
        }
        a->v = p;
        a->cap = cap;
    }
    a->v[a->len++] = x;
    return 0;
}

/* uint64 -> int32, open addressing with linear probing; keys are stored + 1 so that 0 marks a free slot. */
typedef struct {
    uint64_t *keys;
    int32_t *vals;
    size_t cap, len; /* cap: a power of two */
} IMap;

static inline size_t imap_slot(uint64_t key, size_t cap) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

static int32_t *imap_find(const IMap *m, uint64_t key) {
    if (!m->cap) return NULL;
    key += 1;
    for (size_t i = imap_slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) return &m->vals[i];
        if (!m->keys[i]) return NULL;
    }
}

static int imap_put(IMap *m, uint64_t key, int32_t val) {
    if (2 * (m->len + 1) > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        uint64_t *keys = PyMem_Calloc(cap, sizeof(uint64_t));
        int32_t *vals = PyMem_Malloc(cap * sizeof(int32_t));
        if (!keys || !vals) {
            PyMem_Free(keys);
            PyMem_Free(vals);
            PyErr_NoMemory();
            return -1;
        }
        for (size_t j = 0; j < m->cap; j++) {
            if (!m->keys[j]) continue;
            size_t i = imap_slot(m->keys[j], cap);
            while (keys[i]) i = (i + 1) & (cap - 1);
            keys[i] = m->keys[j];
            vals[i] = m->vals[j];
        }
        PyMem_Free(m->keys);
        PyMem_Free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
    }
    key += 1;
    size_t i = imap_slot(key, m->cap);
    while (m->keys[i] && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
    if (!m->keys[i]) {
        m->keys[i] = key;
        m->len++;
    }
    m->vals[i] = val;
    return 0;
}

static void imap_free(IMap *m) {
    PyMem_Free(m->keys);
    PyMem_Free(m->vals);
}

static inline uint64_t key2(int32_t a, int32_t b) { return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b; }

typedef struct {
    PyObject **strs; /* NULL: free */
    int32_t *ids;
    size_t cap, len;
} Intern;

/* One class descriptor, defined in the index or not (a framework type, "L?;"). */
typedef struct {
    PyObject *desc;      /* its descriptor (strong) */
    PyObject *info;      /* its ClassInfo (strong), NULL when the index does not define it */
    int32_t super_id;    /* -1: none */
    int32_t n_ifaces, n_methods, n_lineage, n_anc; /* n_lineage / n_anc: -1 until computed */
    int32_t *ifaces;
    int32_t *m_pair, *m_mid; /* its methods in ClassInfo.methods order */
    int32_t *lineage;        /* DexIndex.lineage */
    int32_t *anc;            /* DexIndex.ancestors | {itself} */
    IVec inst_by_anc;        /* Reachability._inst_by_ancestor */
    int32_t table;           /* its framework-supertypes table, -1 until computed */
    uint32_t stamp;          /* == the current method's serial: constructed by it (new-instance + <init>) */
    uint32_t walk;           /* cycle guard of the lineage / ancestors walks */
    uint32_t anc_mark;       /* == Graph.anc_serial: an ancestor of the class being instantiated */
    PyObject *mdict;         /* ClassInfo.methods (strong), once loaded */
    uint8_t loaded, methods_loaded, instantiated, clinit_done, by_name, reflected;
} Cls;

typedef struct {
    PyObject *key;   /* a (name, proto) tuple (strong): looks the pair up in ClassInfo.methods */
    int32_t name;
    uint8_t special; /* the name starts with '<' */
    uint8_t init;    /* "<init>" */
    uint8_t view;    /* the proto is (Landroid/view/View;)V, an android:onClick handler's */
    uint8_t click;   /* this run: 0 not asked yet, 1 no, 2 a layout's onClick handler (view, name in click_handlers) */
    IVec recv;       /* receiver types of virtual calls of this pair so far (Reachability._virtual_sites) */
} Pair;

typedef struct {
    PyObject *text;  /* the name (held by the intern table) */
    int32_t via;     /* given to Method.invoke (Reachability._reflective_names): by whom; ABSENT */
    int8_t user;     /* in user_methods: -1 until asked */
    uint32_t stamp;  /* == the current reflective call's serial: one of its new names */
    IVec by_name;    /* Reachability._methods_by_name */
} Name;

typedef struct {
    Py_ssize_t n;
    PyObject **sets; /* method-name sets of the framework types (strong) */
    uint8_t *user;   /* each type is one of user_types */
} Table;

/* One DEX file's tables, mapped to ids on first use (-2: not yet). */
typedef struct {
    PyObject *dex, *mkeys, *fkeys, *types, *strings; /* (strong) from the `dexes` argument */
    /* the raw method_ids and field_ids tables (bytes, strong; None: read the keys) and the proto list: a
     * reference is mapped from its entry's indices, each string, proto and type id found once per DEX */
    PyObject *mraw, *fraw, *protos;
    Py_ssize_t n_p;
    int32_t *p_id, *s_name; /* proto index -> proto id, string index -> method name id (-2: not yet) */
    Py_ssize_t n_m, n_f, n_t, n_s;
    int32_t *m_cls, *m_pair; /* method_ids entry -> class id, pair id */
    uint8_t *m_flags;        /* M_* */
    int32_t *t_cls, *f_cls;
    int32_t *s_named;        /* string -> the defined class it names (Java name), -1 none */
    /* consent-guard candidates (ConsentGuards.candidates), NULL until asked. bool_m: 0 no boolean call,
     * BOOL_CALL a boolean call not yet judged, then BOOL_NO_CHECK or BOOL_MAY_CHECK */
    uint8_t *bool_m, *bool_f;
} Dex;

enum { M_INIT = 1, M_METHOD_INVOKE = 2 };

typedef struct {
    /* what the ids below were made for (strong): a run over another index starts afresh */
    PyObject *bound_methods, *bound_classes;
    int ready, broken;
    /* inputs of the current run (borrowed for its duration) */
    PyObject *methods, *classes, *sites_cb, *table_cb, *hands_cb, *masks_cb, *direct_cb, *guarded, *click_handlers,
        *user_methods;
    int callbacks_of_entries, const_class_creates, invoke_anywhere, defer_user;
    Py_ssize_t n_methods;
    /* ids */
    PyObject *table_ids; /* supers tuple -> table id */
    Cls **cls;
    size_t n_cls, cap_cls;
    Pair *pairs;
    size_t n_pairs, cap_pairs;
    Name *nm;
    size_t n_nm, cap_nm;
    Table *tables;
    size_t n_tables, cap_tables;
    Dex *dex;
    Py_ssize_t n_dex, last_dex;
    IMap resolved, vsites, kinds;
    IMap pair_np; /* (name id, proto id) -> pair id */
    Intern class_names, method_names, protos;
    int32_t n_protos;
    int32_t clinit_pair, unknown_type, method_class, invoke; /* ids of <clinit>()V, L?;, Method, invoke */
    /* state */
    int32_t *parent, *queue;
    Py_ssize_t head, qlen;
    IVec deferred, instantiated, reflected, fresh, named;
    int user_phase, by_name_on;
    Py_ssize_t n_reflective;
    uint32_t serial, name_serial, walk, anc_serial;
} Graph;

#define PROGRAM_NAME "hegui.dex._speedups.call_graph"

static PyObject *s_superclass, *s_interfaces, *s_methods, *s_invokes, *s_types, *s_fields, *s_strings;

#define CLS(g, id) ((g)->cls[(id)])

/* DexIndex.methods[mid], which must be a MethodRecord of PackedCode (checked here, where it is read: the
 * Python side has checked the whole list once, DexIndex.methods only grows); NULL with an error set. */
static MethodRecord *record_of(Graph *g, int32_t mid) {
    PyObject *m = PyList_GET_ITEM(g->methods, mid);
    if (!Py_IS_TYPE(m, &MethodRecordType) || !Py_IS_TYPE(((MethodRecord *)m)->code, &PackedCodeType) ||
        ((MethodRecord *)m)->id != (uint32_t)mid) {
        PyErr_SetString(PyExc_TypeError, "reachability takes the MethodRecords of PackedCode of one DexIndex");
        return NULL;
    }
    return (MethodRecord *)m;
}

/*
 * Intern tables: str -> id by value, in C (a dict per kind cost a PyLong per id and most of a run). Probed by
 * the str's cached hash; most probes find the very same object (a DEX's type, name and proto strings are
 * shared by its keys), and others compare equal by length, kind and bytes. The table holds its strings.
 */
static inline int str_eq(PyObject *a, PyObject *b) {
    if (a == b) return 1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(a);
    if (n != PyUnicode_GET_LENGTH(b) || PyUnicode_KIND(a) != PyUnicode_KIND(b)) return 0;
    return memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)n * PyUnicode_KIND(a)) == 0;
}

/* The id of `s` (a str); a new one (`*fresh` set) is `next` and `s` is kept. -1 with an exception set. */
static int32_t intern(Intern *t, PyObject *s, int32_t next, int *fresh) {
    *fresh = 0;
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "class, method and proto names must be str");
        return -1;
    }
    Py_hash_t h = PyObject_Hash(s);
    if (h == -1) return -1;
    if (2 * (t->len + 1) > t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 4096;
        PyObject **strs = PyMem_Calloc(cap, sizeof(PyObject *));
        int32_t *ids = PyMem_Malloc(cap * sizeof(int32_t));
        if (!strs || !ids) {
            PyMem_Free(strs);
            PyMem_Free(ids);
            PyErr_NoMemory();
            return -1;
        }
        for (size_t k = 0; k < t->cap; k++) {
            if (!t->strs[k]) continue;
            size_t at = (size_t)PyObject_Hash(t->strs[k]) & (cap - 1); /* cached */
            while (strs[at]) at = (at + 1) & (cap - 1);
            strs[at] = t->strs[k];
            ids[at] = t->ids[k];
        }
        PyMem_Free(t->strs);
        PyMem_Free(t->ids);
        t->strs = strs;
        t->ids = ids;
        t->cap = cap;
    }
    size_t at = (size_t)h & (t->cap - 1);
    for (; t->strs[at]; at = (at + 1) & (t->cap - 1))
        if (str_eq(t->strs[at], s)) return t->ids[at];
    t->strs[at] = Py_NewRef(s);
    t->ids[at] = next;
    t->len++;
    *fresh = 1;
    return next;
}

static void intern_free(Intern *t) {
    for (size_t k = 0; k < t->cap; k++) Py_XDECREF(t->strs[k]);
    PyMem_Free(t->strs);
    PyMem_Free(t->ids);
}

/* The class id of descriptor `desc`, made on first sight; -1 with an exception set on failure. */
static int32_t class_id(Graph *g, PyObject *desc) {
    int fresh;
    int32_t id = intern(&g->class_names, desc, (int32_t)g->n_cls, &fresh);
    if (!fresh) return id;
    if (g->n_cls == g->cap_cls) {
        size_t cap = g->cap_cls ? 2 * g->cap_cls : 4096;
        Cls **p = PyMem_Realloc(g->cls, cap * sizeof(Cls *));
        if (!p) {
            PyErr_NoMemory();
            return -1;
        }
        g->cls = p;
        g->cap_cls = cap;
    }
    Cls *c = PyMem_Calloc(1, sizeof(Cls));
    if (!c) {
        PyErr_NoMemory();
        return -1;
    }
    c->super_id = -1;
    c->n_lineage = c->n_anc = -1;
    c->table = -1;
    c->desc = Py_NewRef(desc);
    g->cls[g->n_cls++] = c; /* before anything can fail: the intern table has its id */
    PyObject *info = PyDict_GetItemWithError(g->classes, desc);
    if (!info && PyErr_Occurred()) return -1;
    c->info = Py_XNewRef(info);
    return id;
}

static int32_t name_id(Graph *g, PyObject *name) {
    int fresh;
    int32_t id = intern(&g->method_names, name, (int32_t)g->n_nm, &fresh);
    if (!fresh) return id;
    if (g->n_nm == g->cap_nm) {
        size_t cap = g->cap_nm ? 2 * g->cap_nm : 4096;
        Name *p = PyMem_Realloc(g->nm, cap * sizeof(Name));
        if (!p) {
            PyErr_NoMemory();
            return -1;
        }
        g->nm = p;
        g->cap_nm = cap;
    }
    Name *n = &g->nm[g->n_nm++];
    memset(n, 0, sizeof *n);
    n->text = name; /* held by the intern table */
    n->via = ABSENT;
    n->user = -1;
    return id;
}

static int32_t proto_id(Graph *g, PyObject *proto) {
    int fresh;
    int32_t id = intern(&g->protos, proto, g->n_protos, &fresh);
    if (fresh) g->n_protos++;
    return id;
}

static PyObject *click_proto; /* "(Landroid/view/View;)V" */
static PyObject *init_name;   /* "<init>" */

/* The pair id of method name `name` and proto `proto` (str objects); `tuple`: (name, proto) if at hand. */
static int32_t pair_of(Graph *g, PyObject *name, PyObject *proto, PyObject *tuple) {
    if (!PyUnicode_Check(name) || !PyUnicode_Check(proto)) {
        PyErr_SetString(PyExc_TypeError, "method names and protos must be str");
        return -1;
    }
    int32_t nid = name_id(g, name), pid = nid < 0 ? -1 : proto_id(g, proto);
    if (pid < 0) return -1;
    int32_t *hit = imap_find(&g->pair_np, key2(nid, pid));
    if (hit) return *hit;
    if (g->n_pairs == g->cap_pairs) {
        size_t cap = g->cap_pairs ? 2 * g->cap_pairs : 4096;
        Pair *p = PyMem_Realloc(g->pairs, cap * sizeof(Pair));
        if (!p) {
            PyErr_NoMemory();
            return -1;
        }
        g->pairs = p;
        g->cap_pairs = cap;
    }
    Pair pr = {NULL, nid, 0, 0, 0, 0, {NULL, 0, 0}};
    pr.special = PyUnicode_GET_LENGTH(name) > 0 && PyUnicode_READ_CHAR(name, 0) == '<';
    int eq = PyUnicode_Compare(name, init_name);
    if (eq == -1 && PyErr_Occurred()) return -1;
    pr.init = eq == 0;
    eq = PyUnicode_Compare(proto, click_proto);
    if (eq == -1 && PyErr_Occurred()) return -1;
    pr.view = eq == 0;
    int32_t id = (int32_t)g->n_pairs;
    pr.key = tuple ? Py_NewRef(tuple) : PyTuple_Pack(2, name, proto);
    if (!pr.key) return -1;
    if (imap_put(&g->pair_np, key2(nid, pid), id) < 0) {
        Py_DECREF(pr.key);
        return -1;
    }
    g->pairs[g->n_pairs++] = pr;
    return id;
}

/* The pair id of a (name, proto) tuple (a ClassInfo.methods key). */
static int32_t pair_id(Graph *g, PyObject *pair) {
    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
        PyErr_SetString(PyExc_TypeError, "method keys must be (name, proto) pairs of str");
        return -1;
    }
    return pair_of(g, PyTuple_GET_ITEM(pair, 0), PyTuple_GET_ITEM(pair, 1), pair);
}

/* A class's superclass, interfaces and methods dict, read from its ClassInfo on first need. */
static int cls_load(Graph *g, int32_t id) {
    Cls *c = CLS(g, id);
    if (c->loaded) return 0;
    c->loaded = 1;
    if (!c->info) return 0;
    PyObject *sup = PyObject_GetAttr(c->info, s_superclass);
    if (!sup) return -1;
    if (PyUnicode_Check(sup) && PyUnicode_GET_LENGTH(sup) > 0) { /* `if cur.superclass`: "" is no superclass */
        int32_t s = class_id(g, sup);
        c = CLS(g, id);
        if (s < 0) {
            Py_DECREF(sup);
            return -1;
        }
        c->super_id = s;
    }
    Py_DECREF(sup);
    PyObject *ifaces = PyObject_GetAttr(c->info, s_interfaces);
    if (!ifaces) return -1;
    PyObject *seq = PySequence_Fast(ifaces, "ClassInfo.interfaces must be a sequence");
    Py_DECREF(ifaces);
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    c->ifaces = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    if (!c->ifaces) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyUnicode_Check(t) || PyUnicode_GET_LENGTH(t) == 0) { /* `if sup`: skipped by ancestors() */
            c->ifaces[c->n_ifaces++] = -1;
            continue;
        }
        int32_t s = class_id(g, t);
        if (s < 0) {
            Py_DECREF(seq);
            return -1;
        }
        c->ifaces[c->n_ifaces++] = s;
    }
    Py_DECREF(seq);
    PyObject *methods = PyObject_GetAttr(c->info, s_methods);
    if (!methods) return -1;
    if (!PyDict_Check(methods)) {
        Py_DECREF(methods);
        PyErr_SetString(PyExc_TypeError, "ClassInfo.methods must be a dict");
        return -1;
    }
    c->mdict = methods;
    return 0;
}

/* cls_load and the class's methods in ClassInfo.methods order, as pair and method ids: for the walks over
 * all methods of a class (instantiation, callbacks, names); a call is resolved in the dict itself. */
static int cls_methods(Graph *g, int32_t id) {
    if (cls_load(g, id) < 0) return -1;
    Cls *c = CLS(g, id);
    if (c->methods_loaded || !c->info) return 0;
    c->methods_loaded = 1;
    PyObject *methods = c->mdict;
    Py_ssize_t n = PyDict_GET_SIZE(methods);
    c->m_pair = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    c->m_mid = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    if (!c->m_pair || !c->m_mid) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(methods, &pos, &key, &value)) {
        int32_t p = pair_id(g, key);
        long mid = p < 0 ? -1 : PyLong_AsLong(value);
        if (p < 0 || (mid == -1 && PyErr_Occurred())) return -1;
        if (mid < 0 || mid >= g->n_methods) {
            PyErr_SetString(PyExc_ValueError, "a class names a method id outside DexIndex.methods");
            return -1;
        }
        c->m_pair[c->n_methods] = p;
        c->m_mid[c->n_methods] = (int32_t)mid;
        c->n_methods++;
    }
    return 0;
}

/* DexIndex.lineage: the class and its superclass chain, ending with the first class not defined. */
static int lineage(Graph *g, int32_t id, const int32_t **out, int32_t *n) {
    Cls *c = CLS(g, id);
    if (c->n_lineage < 0) {
        IVec chain = {0};
        uint32_t walk = ++g->walk;
        int32_t cur = id;
        if (ivec_push(&chain, id) < 0) return -1;
        CLS(g, id)->walk = walk;
        for (;;) {
            if (cls_load(g, cur) < 0) {
                PyMem_Free(chain.v);
                return -1;
            }
            Cls *x = CLS(g, cur);
            if (!x->info || x->super_id < 0 || CLS(g, x->super_id)->walk == walk) break;
            cur = x->super_id;
            CLS(g, cur)->walk = walk;
            if (ivec_push(&chain, cur) < 0) {
                PyMem_Free(chain.v);
                return -1;
            }
        }
        c->lineage = chain.v;
        c->n_lineage = (int32_t)chain.len;
    }
    *out = c->lineage;
    *n = c->n_lineage;
    return 0;
}

/* index.ancestors(cls) | {cls}: every supertype, defined or not, and the class itself. */
static int ancestors(Graph *g, int32_t id) {
    Cls *c = CLS(g, id);
    if (c->n_anc >= 0) return 0;
    IVec out = {0}, stack = {0};
    uint32_t walk = ++g->walk;
    CLS(g, id)->walk = walk; /* `sup != desc` */
    if (ivec_push(&stack, id) < 0) return -1;
    while (stack.len) {
        int32_t cur = stack.v[--stack.len];
        if (cls_load(g, cur) < 0) goto fail;
        Cls *x = CLS(g, cur);
        if (!x->info) continue;
        for (int32_t k = -1; k < x->n_ifaces; k++) {
            int32_t sup = k < 0 ? x->super_id : x->ifaces[k];
            if (sup < 0 || CLS(g, sup)->walk == walk) continue;
            CLS(g, sup)->walk = walk;
            if (ivec_push(&out, sup) < 0 || ivec_push(&stack, sup) < 0) goto fail;
        }
    }
    if (ivec_push(&out, id) < 0) goto fail;
    PyMem_Free(stack.v);
    c->anc = out.v;
    c->n_anc = (int32_t)out.len;
    return 0;
fail:
    PyMem_Free(out.v);
    PyMem_Free(stack.v);
    return -1;
}

/* ClassInfo.methods.get(pair) of defined class `cls`: the method id, -1 none, -2 error. */
static int32_t method_of(Graph *g, int32_t cls, int32_t pair) {
    if (cls_load(g, cls) < 0) return -2;
    PyObject *got = PyDict_GetItemWithError(CLS(g, cls)->mdict, g->pairs[pair].key);
    if (!got) return PyErr_Occurred() ? -2 : -1;
    long mid = PyLong_AsLong(got);
    if (mid == -1 && PyErr_Occurred()) return -2;
    if (mid < 0 || mid >= g->n_methods) {
        PyErr_SetString(PyExc_ValueError, "a class names a method id outside DexIndex.methods");
        return -2;
    }
    return (int32_t)mid;
}

/* DexIndex.resolve: the defined, non-abstract method a call cls->pair lands on; -1 none, -2 error. */
static int32_t resolve(Graph *g, int32_t cls, int32_t pair) {
    int32_t *got = imap_find(&g->resolved, key2(cls, pair));
    if (got) return *got;
    const int32_t *chain;
    int32_t n, found = -1;
    if (lineage(g, cls, &chain, &n) < 0) return -2;
    for (int32_t i = 0; i < n; i++) {
        if (!CLS(g, chain[i])->info) break;
        int32_t mid = method_of(g, chain[i], pair);
        if (mid == -2) return -2;
        MethodRecord *rec = mid >= 0 ? record_of(g, mid) : NULL;
        if (mid >= 0 && !rec) return -2;
        if (rec && !(rec->access & ACC_ABSTRACT_FLAG)) {
            found = mid;
            break;
        }
    }
    if (imap_put(&g->resolved, key2(cls, pair), found) < 0) return -2;
    return found;
}

static inline void reach(Graph *g, int32_t mid, int32_t via) {
    if (!g->parent[mid]) { /* parent: via + 2, 0 while unreached */
        g->parent[mid] = via + 2;
        g->queue[g->qlen++] = mid;
    }
}

static int user_callback(Graph *g, int32_t mid, int32_t via) {
    if (g->user_phase) {
        reach(g, mid, via);
    } else if (g->defer_user) {
        if (ivec_push(&g->deferred, mid) < 0 || ivec_push(&g->deferred, via) < 0) return -1;
    }
    return 0;
}

static int init_class(Graph *g, int32_t cls, int32_t via) {
    if (CLS(g, cls)->clinit_done) return 0;
    const int32_t *chain;
    int32_t n;
    if (lineage(g, cls, &chain, &n) < 0) return -1;
    for (int32_t i = 0; i < n; i++) {
        Cls *x = CLS(g, chain[i]);
        if (x->clinit_done || !x->info) return 0;
        x->clinit_done = 1;
        int32_t mid = method_of(g, chain[i], g->clinit_pair);
        if (mid == -2) return -1;
        if (mid >= 0) reach(g, mid, via);
    }
    return 0;
}


/* Reachability._callback_table: the id of the class's table of framework supertypes (its undefined
 * ancestors, sorted), made by asking table_cb for the framework types above them on the first class with
 * that set. */
static int32_t class_table(Graph *g, int32_t id) {
    if (CLS(g, id)->table >= 0) return CLS(g, id)->table;
    if (ancestors(g, id) < 0) return -1;
    Cls *c = CLS(g, id);
    PyObject *list = PyList_New(0);
    if (!list) return -1;
    for (int32_t k = 0; k < c->n_anc; k++) {
        Cls *a = CLS(g, c->anc[k]);
        if (!a->info && PyList_Append(list, a->desc) < 0) {
            Py_DECREF(list);
            return -1;
        }
    }
    if (PyList_Sort(list) < 0) {
        Py_DECREF(list);
        return -1;
    }
    PyObject *supers = PyList_AsTuple(list);
    Py_DECREF(list);
    if (!supers) return -1;
    int32_t table = -1;
    PyObject *got = PyDict_GetItemWithError(g->table_ids, supers);
    if (got) {
        table = (int32_t)PyLong_AsLong(got);
    } else if (!PyErr_Occurred()) {
        PyObject *types = PyObject_CallOneArg(g->table_cb, supers);
        PyObject *seq = types ? PySequence_Fast(types, "the framework types must be a sequence") : NULL;
        Py_XDECREF(types);
        if (seq && g->n_tables == g->cap_tables) {
            size_t cap = g->cap_tables ? 2 * g->cap_tables : 64;
            Table *p = PyMem_Realloc(g->tables, cap * sizeof(Table));
            if (p) {
                g->tables = p;
                g->cap_tables = cap;
            } else {
                PyErr_NoMemory();
                Py_CLEAR(seq);
            }
        }
        if (seq) {
            Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
            Table *t = &g->tables[g->n_tables];
            t->n = 0;
            t->sets = PyMem_Calloc((size_t)(n ? n : 1), sizeof(PyObject *));
            t->user = PyMem_Calloc((size_t)(n ? n : 1), 1);
            int ok = t->sets && t->user;
            if (!ok) PyErr_NoMemory();
            g->n_tables++; /* freed with the graph from here on */
            for (Py_ssize_t i = 0; ok && i < n; i++) {
                PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
                if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2 || !PyAnySet_Check(PyTuple_GET_ITEM(item, 0))) {
                    PyErr_SetString(PyExc_TypeError, "framework types must be (set of method names, is user type)");
                    ok = 0;
                    break;
                }
                int user = PyObject_IsTrue(PyTuple_GET_ITEM(item, 1));
                if (user < 0) {
                    ok = 0;
                    break;
                }
                Py_INCREF(PyTuple_GET_ITEM(item, 0));
                t->sets[t->n] = PyTuple_GET_ITEM(item, 0);
                t->user[t->n] = (uint8_t)user;
                t->n++;
            }
            Py_DECREF(seq);
            if (ok) {
                table = (int32_t)(g->n_tables - 1);
                PyObject *key = PyLong_FromLong(table);
                if (!key || PyDict_SetItem(g->table_ids, supers, key) < 0) table = -1;
                Py_XDECREF(key);
            }
        }
    }
    Py_DECREF(supers);
    if (table >= 0) CLS(g, id)->table = table;
    return table;
}

/* Reachability._callback_kind: KIND_FRAMEWORK when a framework type of the table (java.lang.Object aside,
 * which table_cb leaves out) declares `name`; KIND_USER when the name is a user callback or every such type
 * is a user type; KIND_NONE otherwise. -1 on error. */
static int kind_of(Graph *g, int32_t table, int32_t name) {
    int32_t *got = imap_find(&g->kinds, key2(table, name));
    if (got) return *got;
    PyObject *text = g->nm[name].text;
    const Table *t = &g->tables[table];
    int declared = 0, all_user = 1;
    for (Py_ssize_t i = 0; i < t->n; i++) {
        int in = PySet_Contains(t->sets[i], text);
        if (in < 0) return -1;
        if (in) {
            declared = 1;
            if (!t->user[i]) all_user = 0;
        }
    }
    int kind = KIND_NONE;
    if (declared) {
        Name *n = &g->nm[name];
        if (n->user < 0) {
            int in = PySet_Contains(g->user_methods, text);
            if (in < 0) return -1;
            n->user = (int8_t)in;
        }
        kind = n->user || all_user ? KIND_USER : KIND_FRAMEWORK;
    }
    if (imap_put(&g->kinds, key2(table, name), kind) < 0) return -1;
    return kind;
}

static int by_name_add(Graph *g, int32_t id) {
    const int32_t *chain;
    int32_t n;
    if (lineage(g, id, &chain, &n) < 0) return -1;
    for (int32_t i = 0; i < n; i++) {
        Cls *x = CLS(g, chain[i]);
        if (!x->info || x->by_name) break;
        x->by_name = 1;
        if (cls_methods(g, chain[i]) < 0) return -1;
        x = CLS(g, chain[i]);
        for (int32_t k = 0; k < x->n_methods; k++) {
            const Pair *p = &g->pairs[x->m_pair[k]];
            if (!p->special && ivec_push(&g->nm[p->name].by_name, x->m_mid[k]) < 0) return -1;
        }
    }
    return 0;
}

static int fw_callbacks(Graph *g, int32_t id, int32_t via) {
    int32_t table = class_table(g, id);
    if (table < 0) return -1;
    const int32_t *chain;
    int32_t n;
    if (lineage(g, id, &chain, &n) < 0) return -1;
    for (int32_t i = 0; i < n; i++) {
        if (cls_methods(g, chain[i]) < 0) return -1;
        Cls *x = CLS(g, chain[i]);
        if (!x->info) break;
        for (int32_t k = 0; k < x->n_methods; k++) {
            const Pair *p = &g->pairs[x->m_pair[k]];
            int32_t mid = x->m_mid[k];
            if (p->special) continue;
            MethodRecord *rec = record_of(g, mid);
            if (!rec) return -1;
            if (rec->access & ACC_STATIC_FLAG) continue;
            int kind = kind_of(g, table, p->name);
            if (kind < 0) return -1;
            if (kind == KIND_FRAMEWORK) reach(g, mid, via);
            else if (kind == KIND_USER && user_callback(g, mid, via) < 0) return -1;
        }
    }
    return 0;
}

static int click_handlers(Graph *g, int32_t id, int32_t via) {
    const int32_t *chain;
    int32_t n;
    if (lineage(g, id, &chain, &n) < 0) return -1;
    for (int32_t i = 0; i < n; i++) {
        if (cls_methods(g, chain[i]) < 0) return -1;
        Cls *x = CLS(g, chain[i]);
        if (!x->info) break;
        for (int32_t k = 0; k < x->n_methods; k++)
        {
            Pair *p = &g->pairs[x->m_pair[k]];
            if (!p->view) continue;
            if (!p->click) {
                int in = PySet_Contains(g->click_handlers, PyTuple_GET_ITEM(p->key, 0));
                if (in < 0) return -1;
                p->click = in ? 2 : 1;
            }
            if (p->click == 2 && user_callback(g, x->m_mid[k], via) < 0) return -1;
        }
    }
    return 0;
}

static int instantiate(Graph *g, int32_t id, int32_t via, int callbacks) {
    Cls *c = CLS(g, id);
    if (c->instantiated || !c->info) return 0;
    c->instantiated = 1;
    if (ivec_push(&g->instantiated, id) < 0 || init_class(g, id, via) < 0 || ancestors(g, id) < 0) return -1;
    c = CLS(g, id);
    const uint32_t mark = ++g->anc_serial; /* nothing below instantiates another class before the walk ends */
    for (int32_t k = 0; k < c->n_anc; k++) {
        if (ivec_push(&CLS(g, c->anc[k])->inst_by_anc, id) < 0) return -1;
        CLS(g, c->anc[k])->anc_mark = mark;
    }
    /* pending virtual call sites this class now satisfies, and names given to Method.invoke */
    int named = g->invoke_anywhere && g->n_reflective > 0;
    const int32_t *chain;
    int32_t n;
    if (lineage(g, id, &chain, &n) < 0) return -1;
    for (int32_t i = 0; i < n; i++) {
        if (cls_methods(g, chain[i]) < 0) return -1;
        Cls *x = CLS(g, chain[i]);
        if (!x->info) break;
        for (int32_t k = 0; k < x->n_methods; k++) {
            int32_t pair = x->m_pair[k];
            const IVec *recv = &g->pairs[pair].recv;
            if (recv->len) { /* `not receivers.isdisjoint(ancestors)`, over the smaller side */
                int hit = 0;
                if (recv->len <= (size_t)c->n_anc) {
                    for (size_t r = 0; r < recv->len && !hit; r++) hit = CLS(g, recv->v[r])->anc_mark == mark;
                } else {
                    for (int32_t a = 0; a < c->n_anc && !hit; a++) hit = imap_find(&g->vsites, key2(pair, c->anc[a])) != NULL;
                }
                if (hit) {
                    int32_t target = resolve(g, id, pair);
                    if (target == -2) return -1;
                    if (target >= 0) reach(g, target, via);
                }
            }
            if (named) {
                int32_t caller = g->nm[g->pairs[pair].name].via;
                if (caller != ABSENT) reach(g, x->m_mid[k], caller);
            }
        }
    }
    if (g->by_name_on && by_name_add(g, id) < 0) return -1;
    if (callbacks && fw_callbacks(g, id, via) < 0) return -1;
    if (g->click_handlers != Py_None && click_handlers(g, id, via) < 0) return -1;
    return 0;
}

static int create_by_fw(Graph *g, int32_t id, int32_t via) {
    Cls *c = CLS(g, id);
    if (c->instantiated || !c->info) return 0;
    if (instantiate(g, id, via, 1) < 0 || cls_methods(g, id) < 0) return -1;
    c = CLS(g, id);
    for (int32_t k = 0; k < c->n_methods; k++)
        if (g->pairs[c->m_pair[k]].init) reach(g, c->m_mid[k], via);
    return 0;
}

static int virtual_call(Graph *g, int32_t cls, int32_t pair, int32_t via) {
    uint64_t key = key2(pair, cls);
    if (imap_find(&g->vsites, key)) return 0;
    if (imap_put(&g->vsites, key, 1) < 0) return -1;
    if (ivec_push(&g->pairs[pair].recv, cls) < 0) return -1;
    const IVec *subs = &CLS(g, cls)->inst_by_anc; /* not changed by resolve or reach */
    for (size_t i = 0; i < subs->len; i++) {
        int32_t target = resolve(g, subs->v[i], pair);
        if (target == -2) return -1;
        if (target >= 0) reach(g, target, via);
    }
    return 0;
}

/* Reachability._reach_named: `fresh` names only (the current reflective call's), or all given so far. */
static int reach_named(Graph *g, int32_t id, int fresh_only, int32_t fresh_via) {
    const int32_t *chain;
    int32_t n;
    if (lineage(g, id, &chain, &n) < 0) return -1;
    for (int32_t i = 0; i < n; i++) {
        if (cls_methods(g, chain[i]) < 0) return -1;
        Cls *x = CLS(g, chain[i]);
        if (!x->info) break;
        for (int32_t k = 0; k < x->n_methods; k++) {
            const Name *nm = &g->nm[g->pairs[x->m_pair[k]].name];
            int32_t via = fresh_only ? (nm->stamp == g->name_serial ? fresh_via : ABSENT) : nm->via;
            if (via == ABSENT) continue;
            MethodRecord *rec = record_of(g, x->m_mid[k]);
            if (!rec) return -1;
            if (!(rec->access & ACC_STATIC_FLAG)) reach(g, x->m_mid[k], via);
        }
    }
    return 0;
}

static int inst_by_name(Graph *g, int32_t id, int32_t via) {
    Cls *c = CLS(g, id);
    if (c->reflected) return 0;
    c->reflected = 1;
    if (ivec_push(&g->reflected, id) < 0 || instantiate(g, id, via, 1) < 0) return -1;
    return g->n_reflective ? reach_named(g, id, 0, 0) : 0;
}

static int32_t *filled(Py_ssize_t n, int32_t value) {
    int32_t *p = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    if (!p) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) p[i] = value;
    return p;
}

static PyObject *method_class_name, *invoke_name, *unknown_type_text;

/* The ids of method_ids entry `idx` of a DEX (idx < n_m). */
static int32_t dex_type(Graph *g, Dex *d, uint32_t idx);
static PyObject *no_name, *no_proto; /* what member_keys gives beyond the string and proto tables */

static int dex_method(Graph *g, Dex *d, uint32_t idx) {
    if (d->m_cls[idx] != -2) return 0;
    int32_t cls, p;
    if (d->mraw != Py_None) { /* member_keys' (types[c] | "L?;", strings[n] | "", protos[p] | "()V") */
        const uint8_t *e = (const uint8_t *)PyBytes_AS_STRING(d->mraw) + 8 * (size_t)idx;
        uint32_t type_idx = (uint32_t)e[0] | ((uint32_t)e[1] << 8), proto_idx = (uint32_t)e[2] | ((uint32_t)e[3] << 8);
        uint32_t name_idx = u32_at(e + 4);
        cls = dex_type(g, d, type_idx);
        if (cls < 0) return -1;
        PyObject *name = name_idx < (uint64_t)d->n_s ? PyList_GET_ITEM(d->strings, name_idx) : no_name;
        PyObject *proto = proto_idx < (uint64_t)d->n_p ? PyList_GET_ITEM(d->protos, proto_idx) : no_proto;
        int32_t nid = name_idx < (uint64_t)d->n_s ? d->s_name[name_idx] : -2;
        if (nid == -2) {
            nid = name_id(g, name);
            if (nid < 0) return -1;
            if (name_idx < (uint64_t)d->n_s) d->s_name[name_idx] = nid;
        }
        int32_t pid = proto_idx < (uint64_t)d->n_p ? d->p_id[proto_idx] : -2;
        if (pid == -2) {
            pid = proto_id(g, proto);
            if (pid < 0) return -1;
            if (proto_idx < (uint64_t)d->n_p) d->p_id[proto_idx] = pid;
        }
        int32_t *hit = imap_find(&g->pair_np, key2(nid, pid));
        p = hit ? *hit : pair_of(g, name, proto, NULL);
    } else {
        PyObject *key = PyList_GET_ITEM(d->mkeys, idx);
        if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 3) {
            PyErr_SetString(PyExc_TypeError, "method keys must be (class, name, proto) tuples");
            return -1;
        }
        cls = class_id(g, PyTuple_GET_ITEM(key, 0));
        p = cls < 0 ? -1 : pair_of(g, PyTuple_GET_ITEM(key, 1), PyTuple_GET_ITEM(key, 2), NULL);
    }
    if (p < 0) return -1;
    uint8_t flags = g->pairs[p].init ? M_INIT : 0;
    /* Reachability._REFLECTIVE_INVOKE */
    if (cls == g->method_class && g->pairs[p].name == g->invoke) flags |= M_METHOD_INVOKE;
    d->m_cls[idx] = cls;
    d->m_pair[idx] = p;
    d->m_flags[idx] = flags;
    return 0;
}

static int32_t dex_type(Graph *g, Dex *d, uint32_t idx) {
    if (idx >= (uint64_t)d->n_t) return g->unknown_type; /* DexIndex.types: "L?;" beyond the table */
    if (d->t_cls[idx] == -2) {
        int32_t c = class_id(g, PyList_GET_ITEM(d->types, idx));
        if (c < 0) return -1;
        d->t_cls[idx] = c;
    }
    return d->t_cls[idx];
}

static int32_t dex_field(Graph *g, Dex *d, uint32_t idx) { /* idx < n_f */
    if (d->f_cls[idx] == -2 && d->fraw != Py_None) { /* field_ref's class: types[c] | "L?;" */
        const uint8_t *e = (const uint8_t *)PyBytes_AS_STRING(d->fraw) + 8 * (size_t)idx;
        int32_t c = dex_type(g, d, (uint32_t)e[0] | ((uint32_t)e[1] << 8));
        if (c < 0) return -1;
        d->f_cls[idx] = c;
    }
    if (d->f_cls[idx] == -2) {
        PyObject *key = PyList_GET_ITEM(d->fkeys, idx);
        if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 2) {
            PyErr_SetString(PyExc_TypeError, "field keys must be (class, name) tuples");
            return -1;
        }
        int32_t c = class_id(g, PyTuple_GET_ITEM(key, 0));
        if (c < 0) return -1;
        d->f_cls[idx] = c;
    }
    return d->f_cls[idx];
}

/* The defined class a string constant names as a Java name (Reachability._run's `named`): -1 none, -2 error. */
static int32_t dex_string_names(Graph *g, Dex *d, uint32_t idx) { /* idx < n_s */
    if (d->s_named[idx] != -2) return d->s_named[idx];
    PyObject *s = PyList_GET_ITEM(d->strings, idx);
    int32_t out = -1;
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "DEX strings must be str");
        return -2;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    Py_ssize_t dot = n < 200 ? PyUnicode_FindChar(s, '.', 0, n, 1) : -1;
    Py_ssize_t space = dot >= 0 ? PyUnicode_FindChar(s, ' ', 0, n, 1) : 0;
    if (dot == -2 || space == -2) return -2;
    if (dot >= 0 && space == -1) {
        PyObject *dot_s = PyUnicode_FromOrdinal('.'), *slash = dot_s ? PyUnicode_FromOrdinal('/') : NULL;
        PyObject *inner = slash ? PyUnicode_Replace(s, dot_s, slash, -1) : NULL;
        PyObject *desc = inner ? PyUnicode_FromFormat("L%U;", inner) : NULL; /* names.java_to_descriptor */
        Py_XDECREF(dot_s);
        Py_XDECREF(slash);
        Py_XDECREF(inner);
        if (!desc) return -2;
        int in = PyDict_Contains(g->classes, desc);
        out = in > 0 ? class_id(g, desc) : in < 0 ? -2 : -1;
        Py_DECREF(desc);
        if (out == -2 || (in > 0 && out < 0)) return -2;
    }
    d->s_named[idx] = out;
    return out;
}

/* A DEX's id maps, made when a method of it is first reached (a large APK's other DEX files cost nothing). */
static int dex_ready(Dex *d) {
    if (d->m_cls) return 0;
    d->m_cls = filled(d->n_m, -2);
    d->m_pair = filled(d->n_m, -2);
    d->m_flags = PyMem_Calloc((size_t)(d->n_m ? d->n_m : 1), 1);
    d->t_cls = filled(d->n_t, -2);
    d->f_cls = filled(d->n_f, -2);
    d->s_named = filled(d->n_s, -2);
    d->s_name = filled(d->n_s, -2);
    d->p_id = filled(d->n_p, -2);
    if (!d->m_cls || !d->m_pair || !d->m_flags || !d->t_cls || !d->f_cls || !d->s_named || !d->s_name || !d->p_id) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static Dex *dex_for(Graph *g, PyObject *dex) {
    if (g->dex[g->last_dex].dex == dex && g->dex[g->last_dex].m_cls) return &g->dex[g->last_dex];
    for (Py_ssize_t i = 0; i < g->n_dex; i++) {
        if (g->dex[i].dex == dex) {
            g->last_dex = i;
            return dex_ready(&g->dex[i]) < 0 ? NULL : &g->dex[i];
        }
    }
    PyErr_SetString(PyExc_ValueError, "a method's DexFile is not among the index's DEX files");
    return NULL;
}

/* A byte mask of `size` entries with 1 at each int of `ids` (entries beyond `size` ignored). */
static uint8_t *mask_of(PyObject *ids, Py_ssize_t size) {
    uint8_t *mask = PyMem_Calloc((size_t)(size ? size : 1), 1);
    PyObject *it = mask ? PyObject_GetIter(ids) : NULL;
    if (!it) {
        if (!mask) PyErr_NoMemory();
        PyMem_Free(mask);
        return NULL;
    }
    PyObject *item;
    while ((item = PyIter_Next(it))) {
        Py_ssize_t v = PyLong_AsSsize_t(item);
        Py_DECREF(item);
        if (v == -1 && PyErr_Occurred()) break;
        if (v >= 0 && v < size) mask[v] = 1;
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) {
        PyMem_Free(mask);
        return NULL;
    }
    return mask;
}

enum { BOOL_CALL = 1, BOOL_NO_CHECK = 2, BOOL_MAY_CHECK = 3 };

/* Whether a boolean call (method_ids entry `ref`, idx < n_m) may be a consent check. ConsentGuards._check_kind
 * is None for a call of a class the APK does not define (its summary needs a defined target) unless the
 * call is a keyed getter or named for consent (ConsentGuards.direct_check), and finding that out leaves
 * nothing but its caches behind. -1 on error. */
static int may_check(Graph *g, Dex *d, uint32_t ref) {
    if (d->bool_m[ref] == BOOL_CALL) {
        if (dex_method(g, d, ref) < 0) return -1;
        uint8_t verdict = BOOL_MAY_CHECK;
        if (!CLS(g, d->m_cls[ref])->info) {
            PyObject *idx = PyLong_FromUnsignedLong(ref);
            PyObject *kind = idx ? PyObject_CallFunctionObjArgs(g->direct_cb, d->dex, idx, NULL) : NULL;
            Py_XDECREF(idx);
            if (!kind) return -1;
            if (kind == Py_None) verdict = BOOL_NO_CHECK;
            Py_DECREF(kind);
        }
        d->bool_m[ref] = verdict;
    }
    return d->bool_m[ref] == BOOL_MAY_CHECK;
}

/* Whether ConsentGuards.sites may find anything in the method: a call that may be a consent check or a read
 * of a boolean field. Without either, sites is None and learns nothing new. -1 on error. */
static int may_guard(Graph *g, Dex *d, const PackedCode *code) {
    if (!d->bool_m) {
        PyObject *got = PyObject_CallOneArg(g->masks_cb, d->dex);
        if (!got) return -1;
        if (!PyTuple_Check(got) || PyTuple_GET_SIZE(got) != 2) {
            Py_DECREF(got);
            PyErr_SetString(PyExc_TypeError, "guard candidates must be (method ids, field ids)");
            return -1;
        }
        d->bool_m = mask_of(PyTuple_GET_ITEM(got, 0), d->n_m);
        d->bool_f = d->bool_m ? mask_of(PyTuple_GET_ITEM(got, 1), d->n_f) : NULL;
        Py_DECREF(got);
        if (!d->bool_f) {
            PyMem_Free(d->bool_m);
            d->bool_m = NULL;
            return -1;
        }
    }
    for (uint32_t i = 0; i < code->n[R_FIELDS]; i++) {
        uint32_t ref = packed_ref(code, R_FIELDS, i);
        if (ref < (uint64_t)d->n_f && d->bool_f[ref]) return 1;
    }
    for (uint32_t i = 0; i < code->n[R_INVOKES]; i++) {
        uint32_t ref = packed_ref(code, R_INVOKES, i);
        if (ref < (uint64_t)d->n_m && d->bool_m[ref]) {
            int may = may_check(g, d, ref);
            if (may) return may;
        }
    }
    return 0;
}

/* The guarded positions of one kind (a frozenset of GuardedSites) as a mask over the method's `n` refs. */
static uint8_t *skip_mask(PyObject *sites, PyObject *attr, uint32_t n) {
    PyObject *ids = PyObject_GetAttr(sites, attr);
    if (!ids) return NULL;
    uint8_t *mask = mask_of(ids, (Py_ssize_t)n);
    Py_DECREF(ids);
    return mask;
}

static int reflective_call(Graph *g, Dex *d, const PackedCode *code, const uint8_t *skip, int32_t via) {
    g->name_serial++;
    g->fresh.len = 0;
    for (uint32_t i = 0; i < code->n[R_STRINGS]; i++) {
        uint32_t ref = packed_ref(code, R_STRINGS, i);
        if ((skip && skip[i]) || ref >= (uint64_t)d->n_s) continue;
        PyObject *s = PyList_GET_ITEM(d->strings, ref);
        int ident = PyUnicode_Check(s) ? PyUnicode_IsIdentifier(s) : 0;
        if (ident < 0) return -1;
        if (!ident) continue;
        int32_t nid = name_id(g, s);
        if (nid < 0) return -1;
        Name *nm = &g->nm[nid];
        if (nm->via != ABSENT) continue;
        nm->via = via;
        nm->stamp = g->name_serial;
        g->n_reflective++;
        if (ivec_push(&g->fresh, nid) < 0) return -1;
    }
    if (!g->fresh.len) return 0;
    for (size_t r = 0; r < g->reflected.len; r++)
        if (reach_named(g, g->reflected.v[r], 1, via) < 0) return -1;
    if (g->invoke_anywhere) {
        if (!g->by_name_on) {
            g->by_name_on = 1;
            for (size_t k = 0; k < g->instantiated.len; k++)
                if (by_name_add(g, g->instantiated.v[k]) < 0) return -1;
        }
        for (size_t f = 0; f < g->fresh.len; f++) {
            const IVec *mids = &g->nm[g->fresh.v[f]].by_name;
            for (size_t k = 0; k < mids->len; k++) reach(g, mids->v[k], via);
        }
    }
    return 0;
}

/* One step of Reachability._run: what the reached method `mid` calls, creates, initialises and names. */
static int process(Graph *g, int32_t mid) {
    MethodRecord *rec = record_of(g, mid);
    if (!rec) return -1;
    const PackedCode *code = (const PackedCode *)rec->code;
    Dex *d = dex_for(g, rec->dex);
    if (!d) return -1;
    uint8_t *skip[4] = {NULL, NULL, NULL, NULL};
    int rc = -1;
    if (g->sites_cb != Py_None && (code->n[R_INVOKES] || code->n[R_FIELDS])) {
        int may = may_guard(g, d, code);
        if (may < 0) return -1;
        if (may) {
            PyObject *sites = PyObject_CallOneArg(g->sites_cb, (PyObject *)rec);
            if (!sites) return -1;
            if (sites != Py_None) {
                PyObject *key = PyLong_FromLong(mid);
                int bad = !key || PyDict_SetItem(g->guarded, key, sites) < 0;
                Py_XDECREF(key);
                PyObject *attrs[4] = {s_invokes, s_strings, s_types, s_fields}; /* R_* order */
                for (int k = 0; k < 4 && !bad; k++) bad = !(skip[k] = skip_mask(sites, attrs[k], code->n[k]));
                if (bad) {
                    Py_DECREF(sites);
                    goto done;
                }
            }
            Py_DECREF(sites);
        }
    }
    const uint32_t serial = ++g->serial;
    const uint8_t *ops = (const uint8_t *)PyBytes_AS_STRING(code->ops) + code->at[R_INVOKES];
    const uint8_t *sk = skip[R_INVOKES];
    int method_invoke = 0;
    for (uint32_t i = 0; i < code->n[R_INVOKES]; i++) {
        uint32_t ref = packed_ref(code, R_INVOKES, i);
        if ((sk && sk[i]) || ref >= (uint64_t)d->n_m) continue;
        if (dex_method(g, d, ref) < 0) goto done;
        int32_t cls = d->m_cls[ref], pair = d->m_pair[ref];
        uint8_t op = ops[i];
        method_invoke |= d->m_flags[ref] & M_METHOD_INVOKE;
        if (op == 0x6E || op == 0x72 || op == 0x74 || op == 0x78) { /* invoke-virtual/interface (+/range) */
            if (virtual_call(g, cls, pair, mid) < 0) goto done;
        } else {
            if (op != 0x6F && op != 0x75 && !(d->m_flags[ref] & M_INIT) && init_class(g, cls, mid) < 0) goto done;
            int32_t target = resolve(g, cls, pair);
            if (target == -2) goto done;
            if (target >= 0) reach(g, target, mid);
        }
    }
    /* new-instance followed by the class's constructor call; const-class (`const_class_creates`) */
    sk = skip[R_TYPES];
    int any_type = 0;
    for (uint32_t i = 0; i < code->n[R_TYPES] && !any_type; i++) any_type = !(sk && sk[i]);
    if (any_type) {
        const uint8_t *ski = skip[R_INVOKES];
        for (uint32_t i = 0; i < code->n[R_INVOKES]; i++) {
            uint32_t ref = packed_ref(code, R_INVOKES, i);
            if (!(ski && ski[i]) && ref < (uint64_t)d->n_m && d->m_flags[ref] & M_INIT) CLS(g, d->m_cls[ref])->stamp = serial;
        }
        for (uint32_t i = 0; i < code->n[R_TYPES]; i++) {
            if (sk && sk[i]) continue;
            int32_t t = dex_type(g, d, packed_ref(code, R_TYPES, i));
            if (t < 0) goto done;
            if (CLS(g, t)->stamp == serial) {
                if (!CLS(g, t)->instantiated && instantiate(g, t, mid, 1) < 0) goto done;
            } else if (g->const_class_creates && create_by_fw(g, t, mid) < 0) {
                goto done;
            }
        }
    }
    sk = skip[R_FIELDS];
    for (uint32_t i = 0; i < code->n[R_FIELDS]; i++) {
        uint32_t ref = packed_ref(code, R_FIELDS, i);
        if ((sk && sk[i]) || ref >= (uint64_t)d->n_f) continue;
        int32_t c = dex_field(g, d, ref);
        if (c < 0 || init_class(g, c, mid) < 0) goto done;
    }
    sk = skip[R_STRINGS];
    int any_string = 0;
    for (uint32_t i = 0; i < code->n[R_STRINGS] && !any_string; i++)
        any_string = !(sk && sk[i]) && packed_ref(code, R_STRINGS, i) < (uint64_t)d->n_s;
    if (any_string) {
        if (method_invoke && reflective_call(g, d, code, sk, mid) < 0) goto done;
        g->named.len = 0;
        for (uint32_t i = 0; i < code->n[R_STRINGS]; i++) {
            uint32_t ref = packed_ref(code, R_STRINGS, i);
            if ((sk && sk[i]) || ref >= (uint64_t)d->n_s) continue;
            int32_t c = dex_string_names(g, d, ref);
            if (c == -2 || (c >= 0 && ivec_push(&g->named, c) < 0)) goto done;
        }
        if (g->named.len) {
            PyObject *key = PyLong_FromLong(mid);
            PyObject *hands = key ? PyObject_CallOneArg(g->hands_cb, key) : NULL;
            Py_XDECREF(key);
            int yes = hands ? PyObject_IsTrue(hands) : -1;
            Py_XDECREF(hands);
            if (yes < 0) goto done;
            for (size_t k = 0; yes && k < g->named.len; k++)
                if (inst_by_name(g, g->named.v[k], mid) < 0) goto done;
        }
    }
    rc = 0;
done:
    for (int k = 0; k < 4; k++) PyMem_Free(skip[k]);
    return rc;
}

static int run(Graph *g) {
    while (g->head < g->qlen)
        if (process(g, g->queue[g->head++]) < 0) return -1;
    return 0;
}

static void graph_free(Graph *g) {
    for (size_t i = 0; i < g->n_cls; i++) {
        Cls *c = g->cls[i];
        Py_XDECREF(c->desc);
        Py_XDECREF(c->info);
        Py_XDECREF(c->mdict);
        PyMem_Free(c->ifaces);
        PyMem_Free(c->m_pair);
        PyMem_Free(c->m_mid);
        PyMem_Free(c->lineage);
        PyMem_Free(c->anc);
        PyMem_Free(c->inst_by_anc.v);
        PyMem_Free(c);
    }
    PyMem_Free(g->cls);
    for (size_t i = 0; i < g->n_nm; i++) PyMem_Free(g->nm[i].by_name.v);
    PyMem_Free(g->nm);
    for (size_t i = 0; i < g->n_pairs; i++) {
        Py_XDECREF(g->pairs[i].key);
        PyMem_Free(g->pairs[i].recv.v);
    }
    PyMem_Free(g->pairs);
    for (size_t i = 0; i < g->n_tables; i++) {
        for (Py_ssize_t k = 0; k < g->tables[i].n; k++) Py_DECREF(g->tables[i].sets[k]);
        PyMem_Free(g->tables[i].sets);
        PyMem_Free(g->tables[i].user);
    }
    PyMem_Free(g->tables);
    for (Py_ssize_t i = 0; g->dex && i < g->n_dex; i++) {
        Dex *d = &g->dex[i];
        PyMem_Free(d->m_cls);
        PyMem_Free(d->m_pair);
        PyMem_Free(d->m_flags);
        PyMem_Free(d->t_cls);
        PyMem_Free(d->f_cls);
        PyMem_Free(d->s_named);
        PyMem_Free(d->bool_m);
        PyMem_Free(d->bool_f);
        Py_XDECREF(d->dex);
        Py_XDECREF(d->mkeys);
        Py_XDECREF(d->fkeys);
        Py_XDECREF(d->types);
        Py_XDECREF(d->strings);
        Py_XDECREF(d->mraw);
        Py_XDECREF(d->fraw);
        Py_XDECREF(d->protos);
        PyMem_Free(d->s_name);
        PyMem_Free(d->p_id);
    }
    PyMem_Free(g->dex);
    imap_free(&g->resolved);
    imap_free(&g->vsites);
    imap_free(&g->kinds);
    intern_free(&g->class_names);
    intern_free(&g->method_names);
    intern_free(&g->protos);
    imap_free(&g->pair_np);
    PyMem_Free(g->parent);
    PyMem_Free(g->queue);
    PyMem_Free(g->deferred.v);
    PyMem_Free(g->instantiated.v);
    PyMem_Free(g->reflected.v);
    PyMem_Free(g->fresh.v);
    PyMem_Free(g->named.v);
    Py_XDECREF(g->table_ids);
    Py_XDECREF(g->bound_methods);
    Py_XDECREF(g->bound_classes);
    memset(g, 0, sizeof *g);
}

/* Whether `dexes` are the DEX tables the program's ids were made from. */
static int same_dexes(const Graph *g, PyObject *dexes) {
    if (PyList_GET_SIZE(dexes) != g->n_dex) return 0;
    for (Py_ssize_t i = 0; i < g->n_dex; i++) {
        PyObject *t = PyList_GET_ITEM(dexes, i);
        const Dex *d = &g->dex[i];
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 8 || PyTuple_GET_ITEM(t, 0) != d->dex ||
            PyTuple_GET_ITEM(t, 7) != d->protos ||
            PyTuple_GET_ITEM(t, 1) != d->mkeys || PyTuple_GET_ITEM(t, 2) != d->fkeys ||
            PyTuple_GET_ITEM(t, 3) != d->types || PyTuple_GET_ITEM(t, 4) != d->strings)
            return 0;
    }
    return 1;
}

/* What a run learns about its entries, guards and callbacks is forgotten; what it learnt about the program
 * (ids, superclass chains, method tables, each DEX's maps, resolved calls) is kept for the next run. */
static void run_reset(Graph *g) {
    for (size_t i = 0; i < g->n_cls; i++) {
        Cls *c = g->cls[i];
        c->instantiated = c->clinit_done = c->by_name = c->reflected = 0;
        c->inst_by_anc.len = 0;
        c->table = -1;
        c->stamp = c->anc_mark = 0;
    }
    for (size_t i = 0; i < g->n_pairs; i++) {
        g->pairs[i].recv.len = 0;
        g->pairs[i].click = 0;
    }
    for (size_t i = 0; i < g->n_nm; i++) {
        Name *n = &g->nm[i];
        n->via = ABSENT;
        n->user = -1;
        n->stamp = 0;
        n->by_name.len = 0;
    }
    for (size_t i = 0; i < g->n_tables; i++) {
        for (Py_ssize_t k = 0; k < g->tables[i].n; k++) Py_DECREF(g->tables[i].sets[k]);
        PyMem_Free(g->tables[i].sets);
        PyMem_Free(g->tables[i].user);
    }
    g->n_tables = 0;
    if (g->table_ids) PyDict_Clear(g->table_ids);
    imap_free(&g->vsites);
    imap_free(&g->kinds);
    memset(&g->vsites, 0, sizeof g->vsites);
    memset(&g->kinds, 0, sizeof g->kinds);
    for (Py_ssize_t i = 0; g->dex && i < g->n_dex; i++) { /* the guards' candidates are per run */
        PyMem_Free(g->dex[i].bool_m);
        PyMem_Free(g->dex[i].bool_f);
        g->dex[i].bool_m = g->dex[i].bool_f = NULL;
    }
    for (Py_ssize_t i = 0; g->parent && i < g->qlen; i++) g->parent[g->queue[i]] = 0;
    g->head = g->qlen = 0;
    g->deferred.len = g->instantiated.len = g->reflected.len = g->fresh.len = g->named.len = 0;
    g->user_phase = g->by_name_on = 0;
    g->n_reflective = 0;
}

static int graph_dexes(Graph *g, PyObject *dexes) {
    g->n_dex = PyList_GET_SIZE(dexes);
    g->dex = PyMem_Calloc((size_t)(g->n_dex ? g->n_dex : 1), sizeof(Dex));
    if (!g->dex) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < g->n_dex; i++) {
        PyObject *t = PyList_GET_ITEM(dexes, i);
        Dex *d = &g->dex[i];
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 8 || !PyList_Check(PyTuple_GET_ITEM(t, 1)) ||
            !PyList_Check(PyTuple_GET_ITEM(t, 2)) || !PyList_Check(PyTuple_GET_ITEM(t, 3)) ||
            !PyList_Check(PyTuple_GET_ITEM(t, 4))) {
            PyErr_SetString(PyExc_TypeError, "dexes: (dex, method keys, field keys, types, strings, raw method ids, "
                                             "raw field ids, protos), lists but the raw tables (bytes or None)");
            return -1;
        }
        PyObject *mraw = PyTuple_GET_ITEM(t, 5), *fraw = PyTuple_GET_ITEM(t, 6);
        /* the raw tables stand for the keys only if they have one entry per key */
        PyObject *protos = PyTuple_GET_ITEM(t, 7);
        if (mraw != Py_None && (!PyBytes_Check(mraw) || !PyList_Check(protos) ||
                                PyBytes_GET_SIZE(mraw) / 8 != PyList_GET_SIZE(PyTuple_GET_ITEM(t, 1))))
            mraw = Py_None;
        if (fraw != Py_None && (!PyBytes_Check(fraw) || PyBytes_GET_SIZE(fraw) / 8 != PyList_GET_SIZE(PyTuple_GET_ITEM(t, 2))))
            fraw = Py_None;
        g->dex[i].mraw = Py_NewRef(mraw);
        g->dex[i].fraw = Py_NewRef(fraw);
        g->dex[i].protos = Py_NewRef(protos);
        g->dex[i].n_p = PyList_Check(protos) ? PyList_GET_SIZE(protos) : 0;
        d->dex = Py_NewRef(PyTuple_GET_ITEM(t, 0));
        d->mkeys = Py_NewRef(PyTuple_GET_ITEM(t, 1));
        d->fkeys = Py_NewRef(PyTuple_GET_ITEM(t, 2));
        d->types = Py_NewRef(PyTuple_GET_ITEM(t, 3));
        d->strings = Py_NewRef(PyTuple_GET_ITEM(t, 4));
        d->n_m = PyList_GET_SIZE(d->mkeys);
        d->n_f = PyList_GET_SIZE(d->fkeys);
        d->n_t = PyList_GET_SIZE(d->types);
        d->n_s = PyList_GET_SIZE(d->strings);
    }
    return 0;
}

static int32_t class_of_arg(Graph *g, PyObject *desc) {
    if (!PyUnicode_Check(desc)) {
        PyErr_SetString(PyExc_TypeError, "class descriptors must be str");
        return -1;
    }
    return class_id(g, desc);
}

PyDoc_STRVAR(id_entries_doc,
             "id_entries(raw, mask, names) -> list\n"
             "\n"
             "The positions, in order, of the 8-byte entries of a raw field_ids or method_ids table (u16 class,\n"
             "u16 type or proto, u32 name; little-endian) whose type or proto index has a non-zero byte in `mask`\n"
             "(indices past its end: none) and whose name index is below `names`: the boolean fields or the\n"
             "calls returning boolean, without a tuple per entry.");

static PyObject *id_entries(PyObject *module, PyObject *args) {
    Py_buffer raw, mask;
    unsigned long long names;
    (void)module;
    if (!PyArg_ParseTuple(args, "y*y*K:id_entries", &raw, &mask, &names)) return NULL;
    PyObject *out = PyList_New(0);
    const uint8_t *e = (const uint8_t *)raw.buf, *wanted = (const uint8_t *)mask.buf;
    const Py_ssize_t count = raw.len / 8;
    for (Py_ssize_t i = 0; out && i < count; i++, e += 8) {
        Py_ssize_t kind = (Py_ssize_t)e[2] | ((Py_ssize_t)e[3] << 8);
        if (kind >= mask.len || !wanted[kind] || u32_at(e + 4) >= names) continue;
        PyObject *pos = PyLong_FromSsize_t(i);
        if (!pos || PyList_Append(out, pos) < 0) Py_CLEAR(out);
        Py_XDECREF(pos);
    }
    PyBuffer_Release(&raw);
    PyBuffer_Release(&mask);
    return out;
}

PyDoc_STRVAR(string_mask_doc,
             "string_mask(strings, text, whole) -> bytes\n"
             "\n"
             "One byte per entry of the list `strings`: 1 where it ends with `text` (`whole` false) or is `text`\n"
             "(`whole` true), else 0: the protos returning boolean, the type 'Z', as id_entries takes them.");

static PyObject *string_mask(PyObject *module, PyObject *args) {
    PyObject *strings, *text;
    int whole;
    (void)module;
    if (!PyArg_ParseTuple(args, "O!Up:string_mask", &PyList_Type, &strings, &text, &whole)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(strings);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n);
    if (!out) return NULL;
    char *mask = PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = PyList_GET_ITEM(strings, i);
        Py_ssize_t hit = 0;
        if (PyUnicode_Check(s)) {
            hit = whole ? str_eq(s, text) : PyUnicode_Tailmatch(s, text, 0, PyUnicode_GET_LENGTH(s), 1);
            if (hit < 0) {
                Py_DECREF(out);
                return NULL;
            }
        }
        mask[i] = (char)(hit != 0);
    }
    return out;
}

/* Every entry of `methods` is a MethodRecord of PackedCode whose id is its position. */
static int all_packed(PyObject *methods) {
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(methods); i++) {
        PyObject *m = PyList_GET_ITEM(methods, i);
        if (!Py_IS_TYPE(m, &MethodRecordType) || !Py_IS_TYPE(((MethodRecord *)m)->code, &PackedCodeType) ||
            ((MethodRecord *)m)->id != (uint32_t)i)
            return 0;
    }
    return 1;
}

PyDoc_STRVAR(packed_index_doc,
             "packed_index(methods) -> bool\n"
             "\n"
             "Whether every method of DexIndex.methods `methods` was read by this extension (a MethodRecord of\n"
             "PackedCode at its own id): what reachability() works on.");

static PyObject *packed_index(PyObject *module, PyObject *methods) {
    (void)module;
    if (!PyList_Check(methods)) {
        PyErr_SetString(PyExc_TypeError, "methods must be a list");
        return NULL;
    }
    return PyBool_FromLong(all_packed(methods));
}

PyDoc_STRVAR(reachability_doc,
             "reachability(methods, classes, dexes, entry_classes, created_by_name, entries, callbacks_of_entries,\n"
             "             const_class_creates, invoke_anywhere, defer_user, click_handlers, user_methods, guards,\n"
             "             framework_types, hands_names, guarded, parent, program) -> frozenset | None\n"
             "\n"
             "The fixpoint of hegui.dex.callgraph.Reachability over DexIndex `methods` (MethodRecords of\n"
             "PackedCode) and `classes`; `dexes`: per DEX file (dex, method keys, field keys, types, strings).\n"
             "Entry classes are instantiated, classes created by name get their constructors, `entries` (method\n"
             "ids) are reached. click_handlers: a set of layout onClick names or None; user_methods: a set.\n"
             "guards: None, or the callbacks (sites, candidates, direct_check) of ConsentGuards: sites(method)\n"
             "-> GuardedSites | None; candidates(dex) -> (boolean method ids, boolean field ids);\n"
             "direct_check(dex, method id) -> 'getter' | 'predicate' | None. framework_types(supers) -> [(method names,\n"
             "is user type)] for a sorted tuple of framework supertypes; hands_names(method id) -> bool.\n"
             "Fills `guarded` (method id -> sites) and `parent` (method id -> predecessor id or None, in the\n"
             "order reached) and returns the methods reached before the user callbacks (None without\n"
             "defer_user). program: a call_graph() capsule, reused by the runs over one index.");

static PyObject *reachability(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *methods, *classes, *dexes, *entry_classes, *created, *entries, *parent_out, *guards, *program;
    PyObject *click, *user_methods, *table_cb, *hands_cb, *guarded, *result = NULL;
    int callbacks_of_entries, const_class_creates, invoke_anywhere, defer_user;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!iiiiOO!OOOO!O!O:reachability", &PyList_Type, &methods, &PyDict_Type,
                          &classes, &PyList_Type, &dexes, &PyList_Type, &entry_classes, &PyList_Type, &created,
                          &PyList_Type, &entries, &callbacks_of_entries, &const_class_creates, &invoke_anywhere,
                          &defer_user, &click, &PyFrozenSet_Type, &user_methods, &guards, &table_cb, &hands_cb,
                          &PyDict_Type, &guarded, &PyDict_Type, &parent_out, &program))
        return NULL;
    Graph *g = PyCapsule_GetPointer(program, PROGRAM_NAME);
    if (!g) return NULL;
    /* ids made for another index, or left half-made by a failed run: start afresh */
    if (g->ready && (g->broken || g->bound_methods != methods || g->bound_classes != classes ||
                     g->n_methods != PyList_GET_SIZE(methods) || !same_dexes(g, dexes)))
        graph_free(g);
    run_reset(g);
    g->methods = methods;
    g->classes = classes;
    g->callbacks_of_entries = callbacks_of_entries;
    g->const_class_creates = const_class_creates;
    g->invoke_anywhere = invoke_anywhere;
    g->defer_user = defer_user;
    g->click_handlers = click;
    g->user_methods = user_methods;
    g->table_cb = table_cb;
    g->hands_cb = hands_cb;
    g->guarded = guarded;
    g->sites_cb = Py_None;
    if (guards != Py_None) {
        if (!PyTuple_Check(guards) || PyTuple_GET_SIZE(guards) != 3) {
            PyErr_SetString(PyExc_TypeError, "guards must be None or (sites, candidates, direct_check)");
            return NULL;
        }
        g->sites_cb = PyTuple_GET_ITEM(guards, 0);
        g->masks_cb = PyTuple_GET_ITEM(guards, 1);
        g->direct_cb = PyTuple_GET_ITEM(guards, 2);
    }
    if (g->click_handlers != Py_None && !PyAnySet_Check(g->click_handlers)) {
        PyErr_SetString(PyExc_TypeError, "click_handlers must be a set or None");
        return NULL;
    }
    if (!s_superclass) {
        s_superclass = PyUnicode_InternFromString("superclass");
        s_interfaces = PyUnicode_InternFromString("interfaces");
        s_methods = PyUnicode_InternFromString("methods");
        s_invokes = PyUnicode_InternFromString("invokes");
        s_types = PyUnicode_InternFromString("types");
        s_fields = PyUnicode_InternFromString("fields");
        s_strings = PyUnicode_InternFromString("strings");
        click_proto = PyUnicode_InternFromString("(Landroid/view/View;)V");
        init_name = PyUnicode_InternFromString("<init>");
        method_class_name = PyUnicode_InternFromString("Ljava/lang/reflect/Method;");
        invoke_name = PyUnicode_InternFromString("invoke");
        unknown_type_text = PyUnicode_InternFromString("L?;");
        no_name = PyUnicode_New(0, 0);
        no_proto = PyUnicode_InternFromString("()V");
        if (!s_superclass || !s_interfaces || !s_methods || !s_invokes || !s_types || !s_fields || !s_strings ||
            !click_proto || !init_name || !method_class_name || !invoke_name || !unknown_type_text || !no_name ||
            !no_proto) {
            Py_CLEAR(s_superclass);
            return NULL;
        }
    }
    g->broken = 1; /* until this run ends well */
    if (!g->ready) {
        g->ready = 1;
        g->bound_methods = Py_NewRef(methods);
        g->bound_classes = Py_NewRef(classes);
        g->n_methods = PyList_GET_SIZE(g->methods);
        g->table_ids = PyDict_New();
        g->parent = PyMem_Calloc((size_t)(g->n_methods ? g->n_methods : 1), sizeof(int32_t));
        g->queue = PyMem_Malloc((size_t)(g->n_methods ? g->n_methods : 1) * sizeof(int32_t));
        if (!g->table_ids) goto done;
        if (!g->parent || !g->queue) {
            PyErr_NoMemory();
            goto done;
        }
        if (graph_dexes(g, dexes) < 0) goto done;
        PyObject *clinit = PyUnicode_FromString("<clinit>"), *no_args = PyUnicode_FromString("()V");
        g->clinit_pair = clinit && no_args ? pair_of(g, clinit, no_args, NULL) : -1;
        Py_XDECREF(clinit);
        Py_XDECREF(no_args);
        if (g->clinit_pair < 0 || (g->unknown_type = class_id(g, unknown_type_text)) < 0 ||
            (g->method_class = class_id(g, method_class_name)) < 0 || (g->invoke = name_id(g, invoke_name)) < 0)
            goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(entry_classes); i++) {
        int32_t c = class_of_arg(g, PyList_GET_ITEM(entry_classes, i));
        if (c < 0 || instantiate(g, c, NO_VIA, g->callbacks_of_entries) < 0) goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(created); i++) {
        int32_t c = class_of_arg(g, PyList_GET_ITEM(created, i));
        if (c < 0 || create_by_fw(g, c, NO_VIA) < 0) goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(entries); i++) {
        Py_ssize_t mid = PyLong_AsSsize_t(PyList_GET_ITEM(entries, i));
        if (mid == -1 && PyErr_Occurred()) goto done;
        if (mid < 0 || mid >= g->n_methods) {
            PyErr_SetString(PyExc_ValueError, "an entry method id outside DexIndex.methods");
            goto done;
        }
        reach(g, (int32_t)mid, NO_VIA);
    }
    if (run(g) < 0) goto done;
    Py_ssize_t before = g->qlen;
    if (g->defer_user) {
        g->user_phase = 1;
        for (size_t i = 0; i + 1 < g->deferred.len; i += 2) reach(g, g->deferred.v[i], g->deferred.v[i + 1]);
        g->deferred.len = 0;
        if (run(g) < 0) goto done;
    }
    for (Py_ssize_t i = 0; i < g->qlen; i++) {
        int32_t via = g->parent[g->queue[i]] - 2;
        PyObject *key = PyLong_FromLong(g->queue[i]);
        PyObject *value = key ? (via < 0 ? Py_NewRef(Py_None) : PyLong_FromLong(via)) : NULL;
        int bad = !value || PyDict_SetItem(parent_out, key, value) < 0;
        Py_XDECREF(key);
        Py_XDECREF(value);
        if (bad) goto done;
    }
    if (g->defer_user) {
        PyObject *early = PyList_New(before);
        for (Py_ssize_t i = 0; early && i < before; i++) {
            PyObject *key = PyLong_FromLong(g->queue[i]);
            if (!key) Py_CLEAR(early);
            else PyList_SET_ITEM(early, i, key);
        }
        result = early ? PyFrozenSet_New(early) : NULL;
        Py_XDECREF(early);
    } else {
        result = Py_NewRef(Py_None);
    }
    if (result) g->broken = 0;
done:
    /* nothing of the caller's is kept past the run but the index the ids were made for */
    g->methods = g->classes = g->sites_cb = g->table_cb = g->hands_cb = g->masks_cb = g->direct_cb = NULL;
    g->guarded = g->click_handlers = g->user_methods = NULL;
    return result;
}

static void program_free(PyObject *capsule) {
    Graph *g = PyCapsule_GetPointer(capsule, PROGRAM_NAME);
    if (!g) return;
    graph_free(g);
    PyMem_Free(g);
}

PyDoc_STRVAR(call_graph_doc,
             "call_graph() -> capsule\n"
             "\n"
             "An empty program for reachability(): the ids, superclass chains, method tables, DEX maps and\n"
             "resolved calls a run makes are kept in it for the next run over the same index (a scan's\n"
             "startup and liveness runs), and freed with it.");

static PyObject *call_graph(PyObject *module, PyObject *unused) {
    (void)module;
    (void)unused;
    Graph *g = PyMem_Calloc(1, sizeof(Graph));
    if (!g) return PyErr_NoMemory();
    PyObject *capsule = PyCapsule_New(g, PROGRAM_NAME, program_free);
    if (!capsule) PyMem_Free(g);
    return capsule;
}

static PyMethodDef speedups_methods[] = {
    {"read_class_data", read_class_data, METH_VARARGS, read_class_data_doc},
    {"read_strings", read_strings, METH_VARARGS, read_strings_doc},
    {"member_keys", member_keys, METH_VARARGS, member_keys_doc},
    {"add_methods", add_methods, METH_VARARGS, add_methods_doc},
    {"read_protos", read_protos, METH_VARARGS, read_protos_doc},
    {"referencing", referencing, METH_VARARGS, referencing_doc},
    {"packed_index", packed_index, METH_O, packed_index_doc},
    {"id_entries", id_entries, METH_VARARGS, id_entries_doc},
    {"string_mask", string_mask, METH_VARARGS, string_mask_doc},
    {"reachability", reachability, METH_VARARGS, reachability_doc},
    {"call_graph", call_graph, METH_NOARGS, call_graph_doc},
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
