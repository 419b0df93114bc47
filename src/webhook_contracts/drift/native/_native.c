/* The native drift validator: walks the raw bytes of NDJSON lines against
 * contract programs compiled in Python (program.py) and answers, per line,
 * "clean" (a pass index, counted here) or "refer" (the line is handed back to
 * the Python path, which explains it).
 *
 * Exactness rests on refusing: anything this file does not judge exactly
 * (escapes in keys or checked strings, duplicate keys, integers beyond 18
 * digits, exponents beyond two digits, deep nesting, odd layouts) is referred.
 * Only the limited API of Python 3.11 is used, so one build serves every later
 * Python (abi3).
 */
#define _GNU_SOURCE /* memmem */
#define Py_LIMITED_API 0x030B0000
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_FIELDS 512
#define MAX_INT_DIGITS 18
#define MAX_EXP_DIGITS 2

/* What check_line answers besides a pass: -1 the line is not clean (or not judged: the Python path
 * explains it), ASK_GATE the line needs a program this engine does not have yet:
 * the msgspec gate reads it (and compiles what it needs, which the engine then learns). */
#define ASK_GATE -3

enum { T_NULL = 1, T_BOOL = 2, T_INT = 4, T_NUM = 8, T_STR = 16, T_ARR = 32, T_OBJ = 64 };
enum { F_NONE = 0, F_DATE = 1, F_DATE_TIME = 2, F_EMAIL = 3, F_URI = 4 };
enum { O_NONE = 0, O_FREE = 1, O_MAP = 2, O_STRUCT = 3 };

typedef struct Type Type;

typedef struct {
    char *key;
    Py_ssize_t len;
    int required;
    Type *type;
} Field;

struct Type {
    unsigned mask;
    int fmt;
    char *prefix;
    Py_ssize_t plen;
    Py_ssize_t nse;        /* string enum (or const): -1 when none */
    char **se;
    Py_ssize_t *selen;
    Py_ssize_t nie;        /* integer enum: -1 when none */
    long long *ie;
    Type *items;           /* NULL: any item */
    int okind;
    Type *values;          /* map values (NULL: any) */
    Py_ssize_t nfields;
    Py_ssize_t nrequired;
    Field *fields;
    short *slots;          /* a hash table of the fields (index + 1, 0: empty), slot_mask + 1 slots */
    size_t slot_mask;
};

typedef struct {
    const unsigned char *p;
    const unsigned char *end;
    int depth;
} Cursor;

/* ---------------------------------------------------------------- programs */

static void free_type(Type *t) {
    if (t == NULL) return;
    free(t->prefix);
    for (Py_ssize_t i = 0; i < t->nse; i++) free(t->se[i]);
    free(t->se);
    free(t->selen);
    free(t->ie);
    free_type(t->items);
    free_type(t->values);
    for (Py_ssize_t i = 0; i < t->nfields; i++) {
        free(t->fields[i].key);
        free_type(t->fields[i].type);
    }
    free(t->fields);
    free(t->slots);
    free(t);
}

static char *copy_bytes(PyObject *obj, Py_ssize_t *len) {
    char *data;
    if (!PyBytes_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "program: expected bytes");
        return NULL;
    }
    if (PyBytes_AsStringAndSize(obj, &data, len) < 0) return NULL;
    char *out = malloc(*len + 1);
    if (out == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(out, data, *len);
    out[*len] = 0;
    return out;
}

static Type *build_type(PyObject *spec, int depth);

/* Where a key's search starts in a hash table of fields: its length and three of its bytes, enough to
 * tell the keys of one object apart nearly always (collisions are probed past). */
static inline size_t key_hash(const unsigned char *s, Py_ssize_t n) {
    if (n == 0) return 0;
    return ((size_t)n * 961u) ^ ((size_t)s[0] * 31u) ^ ((size_t)s[n - 1] * 7u) ^ (size_t)s[n / 2];
}

/* Keys are short: compared eight bytes at a time rather than through a call to memcmp. */
static inline int same_key(const char *key, const unsigned char *s, Py_ssize_t n) {
    while (n >= 8) {
        uint64_t a, b;
        memcpy(&a, key, 8);
        memcpy(&b, s, 8);
        if (a != b) return 0;
        key += 8;
        s += 8;
        n -= 8;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if ((unsigned char)key[i] != s[i]) return 0;
    return 1;
}

/* The index of the field named s[0:n], or -1. Payloads mostly list keys in one order, so the field after
 * the last one found (hint) is tried first; otherwise the hash table (built once the fields are known). */
static inline Py_ssize_t find_field(const Type *t, const unsigned char *s, Py_ssize_t n, Py_ssize_t hint) {
    if (hint < t->nfields) {
        const Field *f = &t->fields[hint];
        if (f->len == n && same_key(f->key, s, n)) return hint;
    }
    if (t->slots == NULL) { /* while the fields are being built */
        for (Py_ssize_t i = 0; i < t->nfields; i++)
            if (t->fields[i].len == n && same_key(t->fields[i].key, s, n)) return i;
        return -1;
    }
    for (size_t at = key_hash(s, n) & t->slot_mask;; at = (at + 1) & t->slot_mask) {
        short slot = t->slots[at];
        if (slot == 0) return -1;
        const Field *f = &t->fields[slot - 1];
        if (f->len == n && same_key(f->key, s, n)) return slot - 1;
    }
}

static int build_slots(Type *t) {
    size_t size = 4;
    while (size < (size_t)t->nfields * 2) size *= 2;
    t->slots = calloc(size, sizeof(short));
    if (t->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    t->slot_mask = size - 1;
    for (Py_ssize_t i = 0; i < t->nfields; i++) {
        const Field *f = &t->fields[i];
        size_t at = key_hash((const unsigned char *)f->key, f->len) & t->slot_mask;
        while (t->slots[at] != 0) at = (at + 1) & t->slot_mask;
        t->slots[at] = (short)(i + 1);
    }
    return 0;
}

static int build_fields(Type *t, PyObject *fields, int depth) {
    if (!PyTuple_Check(fields)) {
        PyErr_SetString(PyExc_TypeError, "program: fields must be a tuple");
        return -1;
    }
    Py_ssize_t n = PyTuple_Size(fields);
    if (n > MAX_FIELDS) {
        PyErr_SetString(PyExc_ValueError, "program: too many fields");
        return -1;
    }
    t->fields = calloc(n ? n : 1, sizeof(Field));
    if (t->fields == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *field = PyTuple_GetItem(fields, i);
        if (field == NULL || !PyTuple_Check(field) || PyTuple_Size(field) != 3) {
            PyErr_SetString(PyExc_TypeError, "program: a field is (key, required, type)");
            return -1;
        }
        Field *f = &t->fields[i];
        t->nfields = i + 1;
        f->key = copy_bytes(PyTuple_GetItem(field, 0), &f->len);
        if (f->key == NULL) return -1;
        f->required = PyObject_IsTrue(PyTuple_GetItem(field, 1));
        if (f->required < 0) return -1;
        t->nrequired += f->required;
        f->type = build_type(PyTuple_GetItem(field, 2), depth + 1);
        if (f->type == NULL) return -1;
        if (find_field(t, (const unsigned char *)f->key, f->len, 0) < i) {
            PyErr_SetString(PyExc_ValueError, "program: a key listed twice");
            return -1;
        }
    }
    return build_slots(t);
}

static int build_enums(Type *t, PyObject *strings, PyObject *ints) {
    if (strings != Py_None) {
        if (!PyTuple_Check(strings)) {
            PyErr_SetString(PyExc_TypeError, "program: string enum must be a tuple");
            return -1;
        }
        Py_ssize_t n = PyTuple_Size(strings);
        t->se = calloc(n ? n : 1, sizeof(char *));
        t->selen = calloc(n ? n : 1, sizeof(Py_ssize_t));
        if (t->se == NULL || t->selen == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            t->nse = i + 1;
            t->se[i] = copy_bytes(PyTuple_GetItem(strings, i), &t->selen[i]);
            if (t->se[i] == NULL) return -1;
        }
        t->nse = n;
    }
    if (ints != Py_None) {
        if (!PyTuple_Check(ints)) {
            PyErr_SetString(PyExc_TypeError, "program: integer enum must be a tuple");
            return -1;
        }
        Py_ssize_t n = PyTuple_Size(ints);
        t->ie = calloc(n ? n : 1, sizeof(long long));
        if (t->ie == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            t->ie[i] = PyLong_AsLongLong(PyTuple_GetItem(ints, i));
            if (t->ie[i] == -1 && PyErr_Occurred()) return -1;
        }
        t->nie = n;
    }
    return 0;
}

/* spec: (mask, format, prefix, string enum, integer enum, items, object kind, object arg) */
static Type *build_type(PyObject *spec, int depth) {
    if (depth > MAX_DEPTH) {
        PyErr_SetString(PyExc_ValueError, "program: nested too deep");
        return NULL;
    }
    if (spec == NULL || !PyTuple_Check(spec) || PyTuple_Size(spec) != 8) {
        PyErr_SetString(PyExc_TypeError, "program: a type is a tuple of 8");
        return NULL;
    }
    Type *t = calloc(1, sizeof(Type));
    if (t == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    t->nse = -1;
    t->nie = -1;
    t->mask = (unsigned)PyLong_AsLong(PyTuple_GetItem(spec, 0));
    t->fmt = (int)PyLong_AsLong(PyTuple_GetItem(spec, 1));
    t->okind = (int)PyLong_AsLong(PyTuple_GetItem(spec, 6));
    if (PyErr_Occurred()) goto fail;
    t->prefix = copy_bytes(PyTuple_GetItem(spec, 2), &t->plen);
    if (t->prefix == NULL) goto fail;
    if (build_enums(t, PyTuple_GetItem(spec, 3), PyTuple_GetItem(spec, 4)) < 0) goto fail;
    PyObject *items = PyTuple_GetItem(spec, 5);
    if (items != Py_None && (t->items = build_type(items, depth + 1)) == NULL) goto fail;
    PyObject *arg = PyTuple_GetItem(spec, 7);
    if (t->okind == O_MAP && arg != Py_None && (t->values = build_type(arg, depth + 1)) == NULL) goto fail;
    if (t->okind == O_STRUCT && build_fields(t, arg, depth) < 0) goto fail;
    return t;
fail:
    free_type(t);
    return NULL;
}

/* ------------------------------------------------------------ JSON tokens */

static inline void skip_ws(Cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')) c->p++;
}

/* After a member or an item: 1 past a ',' (another follows), 0 past *closer* (the container ends),
   -1 on anything else (the line is referred). */
static inline int next_member(Cursor *c, char closer) {
    skip_ws(c);
    if (c->p >= c->end) return -1;
    if (*c->p == ',') {
        c->p++;
        skip_ws(c);
        return 1;
    }
    if (*c->p != closer) return -1;
    c->p++;
    return 0;
}

static inline int hex4(const unsigned char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char ch = p[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9') v |= ch - '0';
        else if (ch >= 'a' && ch <= 'f') v |= ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F') v |= ch - 'A' + 10;
        else return -1;
    }
    *out = v;
    return 0;
}

/* One UTF-8 sequence starting at p (a byte >= 0x80), exactly as RFC 3629: its length, or 0. */
static inline int utf8_len(const unsigned char *p, const unsigned char *end) {
    unsigned char b = p[0];
    Py_ssize_t left = end - p;
    if (b >= 0xC2 && b <= 0xDF) {
        return left >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    }
    if (b >= 0xE0 && b <= 0xEF) {
        if (left < 3 || (p[2] & 0xC0) != 0x80) return 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b == 0xE0) lo = 0xA0;
        else if (b == 0xED) hi = 0x9F;
        return p[1] >= lo && p[1] <= hi ? 3 : 0;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        if (left < 4 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b == 0xF0) lo = 0x90;
        else if (b == 0xF4) hi = 0x8F;
        return p[1] >= lo && p[1] <= hi ? 4 : 0;
    }
    return 0;
}

/* Bytes that need no attention inside a string: ASCII, printable, neither a quote nor a backslash. */
static unsigned char ORDINARY[256];

static void init_ordinary(void) {
    for (int b = 0; b < 256; b++) ORDINARY[b] = b >= 0x20 && b < 0x80 && b != '"' && b != '\\';
}

/* The bytes at p that need attention, eight at a time: the high bit of each byte that is a quote, a
 * backslash, below 0x20 or above 0x7f (bit tricks of "Bit Twiddling Hacks"). A borrow can mark a byte
 * above a marked one too, never below: the lowest mark is exact. */
static inline uint64_t swar_special(const unsigned char *p) {
    uint64_t x;
    memcpy(&x, p, 8);
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
    uint64_t special = ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | ((x - ones * 0x20) & ~x) | x;
    return special & high;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FIRST_MARKED(mask) (__builtin_ctzll(mask) >> 3)
#endif

/* A string at c->p (its opening quote): its raw content in [*s, *s + *len). *plain: no escape, ASCII or not.
 * Refers (-1) on invalid JSON: control characters, bad escapes, lone surrogates, invalid UTF-8. */
static int read_string(Cursor *c, const unsigned char **s, Py_ssize_t *len, int *plain) {
    const unsigned char *p = c->p + 1, *end = c->end;
    *s = p;
    *plain = 1;
    while (p < end) {
        /* Eight bytes at a time up to the next special one (found in the mask where the compiler can). */
        while (end - p >= 8) {
            uint64_t marked = swar_special(p);
            if (marked) {
#ifdef FIRST_MARKED
                p += FIRST_MARKED(marked);
#endif
                break;
            }
            p += 8;
        }
        while (p < end && ORDINARY[*p]) p++;
        if (p >= end) break;
        unsigned char ch = *p;
        if (ch == '"') {
            *len = p - *s;
            c->p = p + 1;
            return 0;
        }
        if (ch == '\\') {
            *plain = 0;
            if (p + 1 >= end) return -1;
            unsigned char e = p[1];
            if (e == 'u') {
                unsigned v, w;
                if (end - p < 6 || hex4(p + 2, &v) < 0) return -1;
                p += 6;
                if (v >= 0xDC00 && v <= 0xDFFF) return -1;
                if (v >= 0xD800 && v <= 0xDBFF) {
                    if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &w) < 0) return -1;
                    if (w < 0xDC00 || w > 0xDFFF) return -1;
                    p += 6;
                }
                continue;
            }
            if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't')
                return -1;
            p += 2;
            continue;
        }
        if (ch < 0x20) return -1;
        if (ch >= 0x80) {
            int n = utf8_len(p, end);
            if (n == 0) return -1;
            p += n;
            continue;
        }
        p++;
    }
    return -1;
}

/* A number token at c->p. *kind: 1 integer token, 2 other number. Refers on invalid JSON and on
 * numbers this file does not judge: more than MAX_INT_DIGITS integer digits, longer exponents. */
static int read_number(Cursor *c, int *kind, long long *value) {
    const unsigned char *p = c->p, *end = c->end;
    int negative = 0;
    if (p < end && *p == '-') {
        negative = 1;
        p++;
    }
    if (p >= end || *p < '0' || *p > '9') return -1;
    const unsigned char *digits = p;
    long long v = 0;
    if (*p == '0') {
        p++;
    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            if (p - digits >= MAX_INT_DIGITS) return -1;
            v = v * 10 + (*p - '0');
            p++;
        }
    }
    *kind = 1;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9') return -1;
        while (p < end && *p >= '0' && *p <= '9') p++;
        *kind = 2;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        const unsigned char *exp = p;
        while (p < end && *p >= '0' && *p <= '9') p++;
        if (p == exp || p - exp > MAX_EXP_DIGITS) return -1;
        *kind = 2;
    }
    /* A number runs into the next structural character or whitespace, never into a letter. */
    if (p < end && !(*p == ',' || *p == '}' || *p == ']' || *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        return -1;
    *value = negative ? -v : v;
    c->p = p;
    return 0;
}

static inline int read_literal(Cursor *c, const char *word, Py_ssize_t n) {
    if (c->end - c->p < n || memcmp(c->p, word, n) != 0) return -1;
    c->p += n;
    return 0;
}

static int skip_value(Cursor *c);

static int skip_object(Cursor *c) {
    if (++c->depth > MAX_DEPTH) return -1;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        c->depth--;
        return 0;
    }
    for (;;) {
        const unsigned char *s;
        Py_ssize_t len;
        int plain;
        if (c->p >= c->end || *c->p != '"' || read_string(c, &s, &len, &plain) < 0) return -1;
        skip_ws(c);
        if (c->p >= c->end || *c->p != ':') return -1;
        c->p++;
        skip_ws(c);
        if (skip_value(c) < 0) return -1;
        int more = next_member(c, '}');
        if (more < 0) return -1;
        if (more) continue;
        c->depth--;
        return 0;
    }
}

static int skip_array(Cursor *c) {
    if (++c->depth > MAX_DEPTH) return -1;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        c->depth--;
        return 0;
    }
    for (;;) {
        if (skip_value(c) < 0) return -1;
        int more = next_member(c, ']');
        if (more < 0) return -1;
        if (more) continue;
        c->depth--;
        return 0;
    }
}

/* Any JSON value, checked to be valid JSON that the Python path reads alike. */
static int skip_value(Cursor *c) {
    if (c->p >= c->end) return -1;
    const unsigned char *s;
    Py_ssize_t len;
    int plain, kind;
    long long v;
    switch (*c->p) {
    case '{': return skip_object(c);
    case '[': return skip_array(c);
    case '"': return read_string(c, &s, &len, &plain);
    case 't': return read_literal(c, "true", 4);
    case 'f': return read_literal(c, "false", 5);
    case 'n': return read_literal(c, "null", 4);
    default: return read_number(c, &kind, &v);
    }
}

/* ------------------------------------------------------- string formats */

static inline int digit(unsigned char ch) { return ch >= '0' && ch <= '9'; }

static inline int num2(const unsigned char *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

/* values/rfc3339.py `full-date`: YYYY-MM-DD, years 0001-9999, a day that exists. */
static int is_date(const unsigned char *s, Py_ssize_t n) {
    if (n != 10 || s[4] != '-' || s[7] != '-') return 0;
    static const int at[] = {0, 1, 2, 3, 5, 6, 8, 9};
    for (int i = 0; i < 8; i++)
        if (!digit(s[at[i]])) return 0;
    int year = num2(s) * 100 + num2(s + 2), month = num2(s + 5), day = num2(s + 8);
    if (year == 0 || month < 1 || month > 12 || day < 1) return 0;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int most = days[month - 1];
    if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) most = 29;
    return day <= most;
}

/* values/rfc3339.py `date-time`: date, T or t, hh:mm:ss, 1-6 fraction digits, Z, z or +hh:mm / -hh:mm. */
static int is_date_time(const unsigned char *s, Py_ssize_t n) {
    if (n < 20 || !is_date(s, 10) || (s[10] != 'T' && s[10] != 't')) return 0;
    const unsigned char *t = s + 11;
    if (!digit(t[0]) || !digit(t[1]) || t[2] != ':' || !digit(t[3]) || !digit(t[4]) || t[5] != ':'
        || !digit(t[6]) || !digit(t[7]))
        return 0;
    if (num2(t) > 23 || num2(t + 3) > 59 || num2(t + 6) > 59) return 0;
    const unsigned char *p = t + 8, *end = s + n;
    if (p < end && *p == '.') {
        p++;
        const unsigned char *fraction = p;
        while (p < end && digit(*p)) p++;
        if (p == fraction || p - fraction > 6) return 0;
    }
    if (end - p == 1) return *p == 'Z' || *p == 'z';
    if (end - p != 6 || (*p != '+' && *p != '-')) return 0;
    if (!digit(p[1]) || !digit(p[2]) || p[3] != ':' || !digit(p[4]) || !digit(p[5])) return 0;
    return num2(p + 1) <= 23 && num2(p + 4) <= 59;
}

/* fastpath._FORMATS["email"] on an ASCII string: [^@\s"<>]+@[^@\s"<>]+\.[A-Za-z0-9-]{2,} */
static int is_email(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t at = -1, dot = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char ch = s[i];
        if (ch >= 0x80 || ch <= 0x20 || ch == 0x7f || ch == '"' || ch == '<' || ch == '>') return 0;
        if (ch == '@') {
            if (at >= 0) return 0;
            at = i;
        } else if (ch == '.' && at >= 0) {
            dot = i;
        }
    }
    if (at < 1 || dot < at + 2 || n - dot - 1 < 2) return 0;
    for (Py_ssize_t i = dot + 1; i < n; i++) {
        unsigned char ch = s[i];
        if (!(digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '-')) return 0;
    }
    return 1;
}

/* fastpath._FORMATS["uri"] on an ASCII string: [A-Za-z][A-Za-z0-9+.-]*://[^\s]+ */
static int is_uri(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    if (n < 1 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return 0;
    for (i = 1; i < n; i++) {
        unsigned char ch = s[i];
        if (!(digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '+' || ch == '.'
              || ch == '-'))
            break;
    }
    if (n - i < 4 || s[i] != ':' || s[i + 1] != '/' || s[i + 2] != '/') return 0;
    for (i += 3; i < n; i++) {
        unsigned char ch = s[i];
        /* Python's \s: ASCII whitespace and \x1c-\x1f (no raw control byte reaches here: JSON forbids them). */
        if (ch >= 0x80 || ch <= 0x20) return 0;
    }
    return 1;
}

/* fastpath._GENERATED_KEY: [a-z]{1,8}[_-] then 10 or more of [0-9A-Za-z], at least one a digit. */
static int is_generated_key(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n && i < 9 && s[i] >= 'a' && s[i] <= 'z') i++;
    /* [a-z]{1,8} then [_-]: the letters run must end at a separator within 9 bytes. */
    if (i < 1 || i > 8 || i >= n || (s[i] != '_' && s[i] != '-')) return 0;
    Py_ssize_t body = i + 1;
    int digits = 0;
    if (n - body < 10) return 0;
    for (Py_ssize_t j = body; j < n; j++) {
        unsigned char ch = s[j];
        if (digit(ch)) digits = 1;
        else if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))) return 0;
    }
    return digits;
}

static int string_ok(const Type *t, const unsigned char *s, Py_ssize_t n, int plain) {
    if (t->nse >= 0) {
        if (!plain) return 0;
        for (Py_ssize_t i = 0; i < t->nse; i++)
            if (t->selen[i] == n && memcmp(t->se[i], s, n) == 0) return 1;
        return 0;
    }
    if (t->plen == 0 && t->fmt == F_NONE) return 1;
    if (!plain) return 0;
    if (t->plen && (n < t->plen || memcmp(s, t->prefix, t->plen) != 0)) return 0;
    switch (t->fmt) {
    case F_DATE: return is_date(s, n);
    case F_DATE_TIME: return is_date_time(s, n);
    case F_EMAIL: return is_email(s, n);
    case F_URI: return is_uri(s, n);
    default: return 1;
    }
}

/* ------------------------------------------------------------ the walk */

static int check_value(Cursor *c, const Type *t);

static int check_struct(Cursor *c, const Type *t) {
    unsigned char seen[MAX_FIELDS];
    Py_ssize_t required = 0, hint = 0;
    if (++c->depth > MAX_DEPTH) return -1;
    memset(seen, 0, t->nfields);
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
    } else {
        for (;;) {
            const unsigned char *s;
            Py_ssize_t len;
            int plain;
            if (c->p >= c->end || *c->p != '"' || read_string(c, &s, &len, &plain) < 0 || !plain) return -1;
            Py_ssize_t i = find_field(t, s, len, hint);
            if (i < 0 || seen[i]) return -1;
            seen[i] = 1;
            hint = i + 1;
            required += t->fields[i].required;
            skip_ws(c);
            if (c->p >= c->end || *c->p != ':') return -1;
            c->p++;
            skip_ws(c);
            if (check_value(c, t->fields[i].type) < 0) return -1;
            int more = next_member(c, '}');
            if (more < 0) return -1;
            if (more) continue;
            break;
        }
    }
    c->depth--;
    return required == t->nrequired ? 0 : -1;
}

static int check_map(Cursor *c, const Type *t) {
    if (++c->depth > MAX_DEPTH) return -1;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        c->depth--;
        return 0;
    }
    for (;;) {
        const unsigned char *s;
        Py_ssize_t len;
        int plain;
        if (c->p >= c->end || *c->p != '"' || read_string(c, &s, &len, &plain) < 0 || !plain) return -1;
        if (!is_generated_key(s, len)) return -1;
        skip_ws(c);
        if (c->p >= c->end || *c->p != ':') return -1;
        c->p++;
        skip_ws(c);
        if ((t->values ? check_value(c, t->values) : skip_value(c)) < 0) return -1;
        int more = next_member(c, '}');
        if (more < 0) return -1;
        if (more) continue;
        c->depth--;
        return 0;
    }
}

static int check_array(Cursor *c, const Type *t) {
    if (t->items == NULL) return skip_array(c);
    if (++c->depth > MAX_DEPTH) return -1;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
        c->depth--;
        return 0;
    }
    for (;;) {
        if (check_value(c, t->items) < 0) return -1;
        int more = next_member(c, ']');
        if (more < 0) return -1;
        if (more) continue;
        c->depth--;
        return 0;
    }
}

static int check_value(Cursor *c, const Type *t) {
    if (c->p >= c->end) return -1;
    unsigned mask = t->mask;
    switch (*c->p) {
    case '"': {
        const unsigned char *s;
        Py_ssize_t len;
        int plain;
        if (!(mask & T_STR) || read_string(c, &s, &len, &plain) < 0) return -1;
        return string_ok(t, s, len, plain) ? 0 : -1;
    }
    case '{':
        if (!(mask & T_OBJ)) return -1;
        switch (t->okind) {
        case O_FREE: return skip_object(c);
        case O_MAP: return check_map(c, t);
        case O_STRUCT: return check_struct(c, t);
        default: return -1;
        }
    case '[':
        if (!(mask & T_ARR)) return -1;
        return check_array(c, t);
    case 't':
        return (mask & T_BOOL) ? read_literal(c, "true", 4) : -1;
    case 'f':
        return (mask & T_BOOL) ? read_literal(c, "false", 5) : -1;
    case 'n':
        return (mask & T_NULL) ? read_literal(c, "null", 4) : -1;
    default: {
        int kind;
        long long v;
        if (!(mask & (T_INT | T_NUM)) || read_number(c, &kind, &v) < 0) return -1;
        if (mask & T_NUM) return 0;  /* any number a double holds as a finite number (the limits above) */
        if (kind != 1) return -1;
        if (t->nie < 0) return 0;
        for (Py_ssize_t i = 0; i < t->nie; i++)
            if (t->ie[i] == v) return 0;
        return -1;
    }
    }
}

/* A whole value that must end the line (trailing whitespace allowed). */
static int check_document(const unsigned char *start, const unsigned char *end, const Type *root) {
    Cursor c = {start, end, 0};
    skip_ws(&c);
    if (c.p >= c.end || *c.p != '{' || check_struct(&c, root) < 0) return -1;
    skip_ws(&c);
    return c.p == c.end ? 0 : -1;
}

/* --------------------------------------------------------------- engine */

/* A table entry: a name (and a second name) and the two numbers it stands for. Tables are short
 * (the events of one API version, at most 50 distribution names): searched in order. */
typedef struct {
    char *name;
    Py_ssize_t len;
    char *second;
    Py_ssize_t second_len;
    Py_ssize_t program;
    Py_ssize_t pass;
} Named;

typedef struct {
    Named *items;
    Py_ssize_t size;
} Table;

typedef struct {
    PyObject_HEAD
    Type **programs;
    Py_ssize_t nprograms;
    Py_ssize_t *counts;
    Py_ssize_t npasses;
    Table webhooks;            /* event name -> program, pass */
    Table distributions;       /* event name -> program */
    Table distribution_passes; /* (event name, distribution name) -> pass */
    Table bare;                /* program, pass: the events bare data may be, in the order given */
    int envelopes;             /* whether envelopes are gated at all */
    Py_ssize_t fixed_program;  /* the program of the event given with --event, or -1 */
    Py_ssize_t fixed_pass;
    int fixed;                 /* whether an event was given */
    int bare_complete;         /* whether every event bare data may be has its program here */
} Engine;

static void free_table(Table *t) {
    for (Py_ssize_t i = 0; i < t->size; i++) {
        free(t->items[i].name);
        free(t->items[i].second);
    }
    free(t->items);
    t->items = NULL;
    t->size = 0;
}

static int table_add(Table *t, PyObject *name, PyObject *second, Py_ssize_t program, Py_ssize_t pass) {
    Named *grown = realloc(t->items, (t->size + 1) * sizeof(Named));
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    t->items = grown;
    Named *n = &t->items[t->size];
    memset(n, 0, sizeof(Named));
    if (name != NULL && (n->name = copy_bytes(name, &n->len)) == NULL) return -1;
    if (second != NULL && (n->second = copy_bytes(second, &n->second_len)) == NULL) {
        free(n->name);
        return -1;
    }
    n->program = program;
    n->pass = pass;
    t->size++;
    return 0;
}

/* The program of the entry named s[0:n] (and, with a second name, s2[0:n2]), -1 when none; *pass its pass. */
static Py_ssize_t find_named(const Table *t, const unsigned char *s, Py_ssize_t n, const unsigned char *s2,
                             Py_ssize_t n2, Py_ssize_t *pass) {
    for (Py_ssize_t i = 0; i < t->size; i++) {
        const Named *e = &t->items[i];
        if (e->len != n || memcmp(e->name, s, n) != 0) continue;
        if (s2 != NULL && (e->second_len != n2 || memcmp(e->second, s2, n2) != 0)) continue;
        if (pass != NULL) *pass = e->pass;
        return e->program;
    }
    return -1;
}

static void Engine_dealloc(PyObject *self) {
    Engine *e = (Engine *)self;
    for (Py_ssize_t i = 0; i < e->nprograms; i++) free_type(e->programs[i]);
    free(e->programs);
    free(e->counts);
    free_table(&e->webhooks);
    free_table(&e->distributions);
    free_table(&e->distribution_passes);
    free_table(&e->bare);
    PyTypeObject *type = Py_TYPE(self);
    freefunc tp_free = (freefunc)PyType_GetSlot(type, Py_tp_free);
    tp_free(self);
    Py_DECREF(type);
}

static int Engine_init(PyObject *self, PyObject *args, PyObject *kwds) {
    Engine *e = (Engine *)self;
    int envelopes, fixed;
    (void)kwds;
    if (!PyArg_ParseTuple(args, "pp", &envelopes, &fixed)) return -1;
    e->envelopes = envelopes;
    e->fixed = fixed;
    e->fixed_program = -1;
    e->fixed_pass = -1;
    return 0;
}

static PyObject *Engine_add_program(PyObject *self, PyObject *spec) {
    Engine *e = (Engine *)self;
    Type *t = build_type(spec, 0);
    if (t == NULL) return NULL;
    if (t->okind != O_STRUCT) {
        free_type(t);
        PyErr_SetString(PyExc_ValueError, "program: the root must be an object with fields");
        return NULL;
    }
    Type **grown = realloc(e->programs, (e->nprograms + 1) * sizeof(Type *));
    if (grown == NULL) {
        free_type(t);
        return PyErr_NoMemory();
    }
    e->programs = grown;
    e->programs[e->nprograms] = t;
    return PyLong_FromSsize_t(e->nprograms++);
}

static PyObject *Engine_add_pass(PyObject *self, PyObject *unused) {
    Engine *e = (Engine *)self;
    (void)unused;
    Py_ssize_t *grown = realloc(e->counts, (e->npasses + 1) * sizeof(Py_ssize_t));
    if (grown == NULL) return PyErr_NoMemory();
    e->counts = grown;
    e->counts[e->npasses] = 0;
    return PyLong_FromSsize_t(e->npasses++);
}

static int valid_index(Py_ssize_t value, Py_ssize_t size, const char *what) {
    if (value < 0 || value >= size) {
        PyErr_Format(PyExc_IndexError, "no such %s", what);
        return 0;
    }
    return 1;
}

/* webhook(name: bytes, program, pass): a project-settings envelope whose `type` is *name*. */
static PyObject *Engine_webhook(PyObject *self, PyObject *args) {
    Engine *e = (Engine *)self;
    PyObject *name;
    Py_ssize_t program, pass;
    if (!PyArg_ParseTuple(args, "Snn", &name, &program, &pass)) return NULL;
    if (!valid_index(program, e->nprograms, "program") || !valid_index(pass, e->npasses, "pass")) return NULL;
    if (table_add(&e->webhooks, name, NULL, program, pass) < 0) return NULL;
    Py_RETURN_NONE;
}

/* fixed(program, pass): the program every envelope's data is checked against (--event). */
static PyObject *Engine_fixed(PyObject *self, PyObject *args) {
    Engine *e = (Engine *)self;
    Py_ssize_t program, pass;
    if (!PyArg_ParseTuple(args, "nn", &program, &pass)) return NULL;
    if (!valid_index(program, e->nprograms, "program") || !valid_index(pass, e->npasses, "pass")) return NULL;
    e->fixed_program = program;
    e->fixed_pass = pass;
    Py_RETURN_NONE;
}

/* distribution(event: bytes, program): the program of a distribution's data whose event.type is *event*. */
static PyObject *Engine_distribution(PyObject *self, PyObject *args) {
    Engine *e = (Engine *)self;
    PyObject *name;
    Py_ssize_t program;
    if (!PyArg_ParseTuple(args, "Sn", &name, &program)) return NULL;
    if (!valid_index(program, e->nprograms, "program")) return NULL;
    if (table_add(&e->distributions, name, NULL, program, -1) < 0) return NULL;
    Py_RETURN_NONE;
}

/* distribution_pass(event: bytes, name: bytes, pass): a distribution *name* delivering *event* (b"" with --event). */
static PyObject *Engine_distribution_pass(PyObject *self, PyObject *args) {
    Engine *e = (Engine *)self;
    PyObject *event, *name;
    Py_ssize_t pass;
    if (!PyArg_ParseTuple(args, "SSn", &event, &name, &pass)) return NULL;
    if (!valid_index(pass, e->npasses, "pass")) return NULL;
    if (table_add(&e->distribution_passes, event, name, 0, pass) < 0) return NULL;
    Py_RETURN_NONE;
}

/* bare(program, pass): one more event bare data may be, tried in the order given. */
static PyObject *Engine_bare(PyObject *self, PyObject *args) {
    Engine *e = (Engine *)self;
    Py_ssize_t program, pass;
    if (!PyArg_ParseTuple(args, "nn", &program, &pass)) return NULL;
    if (!valid_index(program, e->nprograms, "program") || !valid_index(pass, e->npasses, "pass")) return NULL;
    if (table_add(&e->bare, NULL, NULL, program, pass) < 0) return NULL;
    Py_RETURN_NONE;
}

/* bare_complete(flag): whether every event bare data may be has a program here (else a bare line that
 * fits none is handed to the gate, which may compile another). */
static PyObject *Engine_bare_complete(PyObject *self, PyObject *arg) {
    int flag = PyObject_IsTrue(arg);
    if (flag < 0) return NULL;
    ((Engine *)self)->bare_complete = flag;
    Py_RETURN_NONE;
}

typedef struct {
    int object;  /* whether the value was an object */
    int state;   /* under the key: 0 nothing, 1 a string without escapes, 2 anything else */
    const unsigned char *s;
    Py_ssize_t len;
} Capture;

/* Skip any value, capturing, when it is an object, what it holds under *key*. Refers on escaped keys
 * in that object and on the key given twice (a dict keeps the last; this file does not guess). */
static int skip_capture(Cursor *c, const char *key, Py_ssize_t klen, Capture *out) {
    out->object = 0;
    out->state = 0;
    if (c->p >= c->end || *c->p != '{') return skip_value(c);
    out->object = 1;
    if (++c->depth > MAX_DEPTH) return -1;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        c->depth--;
        return 0;
    }
    for (;;) {
        const unsigned char *s;
        Py_ssize_t len;
        int plain;
        if (c->p >= c->end || *c->p != '"' || read_string(c, &s, &len, &plain) < 0 || !plain) return -1;
        int wanted = len == klen && memcmp(s, key, klen) == 0;
        if (wanted && out->state) return -1;
        skip_ws(c);
        if (c->p >= c->end || *c->p != ':') return -1;
        c->p++;
        skip_ws(c);
        if (wanted && c->p < c->end && *c->p == '"') {
            if (read_string(c, &out->s, &out->len, &plain) < 0) return -1;
            out->state = plain ? 1 : 2;
        } else {
            if (wanted) out->state = 2;
            if (skip_value(c) < 0) return -1;
        }
        int more = next_member(c, '}');
        if (more < 0) return -1;
        if (more) continue;
        c->depth--;
        return 0;
    }
}

enum { K_ID, K_PROJECT_ID, K_CREATED_AT, K_TYPE, K_DATA, K_SOURCE, K_EVENT, K_COUNT };
static const char *const ENVELOPE_KEYS[K_COUNT] = {"id", "project_id", "created_at", "type", "data", "source", "event"};

static int envelope_key(const unsigned char *s, Py_ssize_t n) {
    for (int k = 0; k < K_COUNT; k++)
        if ((Py_ssize_t)strlen(ENVELOPE_KEYS[k]) == n && memcmp(ENVELOPE_KEYS[k], s, n) == 0) return k;
    return -1;
}

/* The program a webhook envelope of `type` *s* is checked by, and its pass: -1 none. */
static Py_ssize_t webhook_program(Engine *e, const unsigned char *s, Py_ssize_t n, Py_ssize_t *pass) {
    if (e->fixed) {
        *pass = e->fixed_pass;
        return e->fixed_program;
    }
    return find_named(&e->webhooks, s, n, NULL, 0, pass);
}

static int check_data(Engine *e, Py_ssize_t program, const unsigned char *data, const unsigned char *end) {
    Cursor c = {data, end, 1};
    return check_struct(&c, e->programs[program]);
}

/* The pass of a clean envelope line, -1 when it is not clean (or not judged here), ASK_GATE when it
 * needs a program this engine does not have.
 *
 * As the msgspec gate reads it: the keys of the delivery envelope only, each once, `type` a string and
 * `data` an object. A `source` object whose `object` is "distribution" makes it a distribution: then
 * `event` must be an object whose `type`, a string, names the event. */
static Py_ssize_t check_envelope(Engine *e, const unsigned char *start, const unsigned char *end) {
    Cursor c = {start, end, 0};
    const unsigned char *data = NULL, *type = NULL;
    Py_ssize_t type_len = 0, tried = -1, pass = -1;
    int tried_ok = 0;
    Capture source = {0, 0, NULL, 0}, event = {0, 0, NULL, 0};
    int seen[K_COUNT] = {0};
    skip_ws(&c);
    if (c.p >= c.end || *c.p != '{') return -1;
    c.p++;
    c.depth = 1;
    skip_ws(&c);
    for (;;) {
        const unsigned char *s;
        Py_ssize_t len;
        int plain;
        if (c.p >= c.end || *c.p != '"' || read_string(&c, &s, &len, &plain) < 0 || !plain) return -1;
        int k = envelope_key(s, len);
        if (k < 0 || seen[k]) return -1;
        seen[k] = 1;
        skip_ws(&c);
        if (c.p >= c.end || *c.p != ':') return -1;
        c.p++;
        skip_ws(&c);
        if (k == K_TYPE) {
            if (c.p >= c.end || *c.p != '"' || read_string(&c, &type, &type_len, &plain) < 0 || !plain) return -1;
        } else if (k == K_DATA) {
            data = c.p;
            if (c.p >= c.end || *c.p != '{') return -1;
            if (type != NULL && !source.object) {
                /* The usual order: check the data against the event `type` names while reading it. */
                tried = webhook_program(e, type, type_len, &pass);
                if (tried >= 0) {
                    tried_ok = check_struct(&c, e->programs[tried]) == 0;
                    if (!tried_ok) c.p = data;
                }
            }
            if (!tried_ok && skip_object(&c) < 0) return -1;
        } else if (k == K_SOURCE) {
            if (skip_capture(&c, "object", 6, &source) < 0) return -1;
        } else if (k == K_EVENT) {
            if (skip_capture(&c, "type", 4, &event) < 0) return -1;
        } else if (skip_value(&c) < 0) {
            return -1;
        }
        skip_ws(&c);
        if (c.p >= c.end) return -1;
        if (*c.p == ',') {
            c.p++;
            skip_ws(&c);
            continue;
        }
        if (*c.p != '}') return -1;
        c.p++;
        break;
    }
    skip_ws(&c);
    if (c.p != c.end || data == NULL || type == NULL) return -1;
    int distribution = source.state == 1 && source.len == 12 && memcmp(source.s, "distribution", 12) == 0;
    if (!distribution) {
        if (tried < 0) {
            tried = webhook_program(e, type, type_len, &pass);
            if (tried < 0) return ASK_GATE;
            tried_ok = check_data(e, tried, data, end) == 0;
        }
        return tried_ok ? pass : -1;
    }
    if (!event.object || event.state != 1) return -1;
    Py_ssize_t program = e->fixed ? e->fixed_program : find_named(&e->distributions, event.s, event.len, NULL, 0, NULL);
    if (program < 0) return ASK_GATE;
    if (!(program == tried ? tried_ok : check_data(e, program, data, end) == 0)) return -1;
    /* The pass of this event and distribution name (with --event, any event.type: the empty name). */
    Py_ssize_t pass_of = -1;
    if (e->fixed) find_named(&e->distribution_passes, (const unsigned char *)"", 0, type, type_len, &pass_of);
    else find_named(&e->distribution_passes, event.s, event.len, type, type_len, &pass_of);
    return pass_of >= 0 ? pass_of : ASK_GATE;
}

/* The pass of a clean line of bare data, -1 or ASK_GATE. The gate lets bare data through as the one
 * event whose keys it fits; a program that accepts the data fits only it. */
static Py_ssize_t check_bare(Engine *e, const unsigned char *start, const unsigned char *end) {
    Py_ssize_t n = e->bare.size;
    if (n <= 0) return e->bare_complete ? -1 : ASK_GATE;
    Cursor c = {start, end, 0};
    const unsigned char *first;
    Py_ssize_t first_len = -1;
    int plain;
    skip_ws(&c);
    if (c.p >= c.end || *c.p != '{') return -1;
    const unsigned char *object = c.p;
    c.p++;
    skip_ws(&c);
    if (c.p < c.end && *c.p == '"' && (read_string(&c, &first, &first_len, &plain) < 0 || !plain)) return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        const Type *root = e->programs[e->bare.items[i].program];
        if (first_len >= 0 && find_field(root, first, first_len, 0) < 0) continue;
        if (check_document(object, end, root) == 0) return e->bare.items[i].pass;
    }
    return e->bare_complete ? -1 : ASK_GATE;
}

static int has_data_key(const unsigned char *p, const unsigned char *end) {
#ifdef __GLIBC__
    return memmem(p, end - p, "\"data\":", 7) != NULL;
#endif
    while (end - p >= 7) {
        const unsigned char *q = memchr(p, '"', end - p - 6);
        if (q == NULL) return 0;
        if (memcmp(q + 1, "data\":", 6) == 0) return 1;
        p = q + 1;
    }
    return 0;
}


static Py_ssize_t check_line(Engine *e, const unsigned char *start, const unsigned char *end) {
    if (has_data_key(start, end))
        return e->envelopes ? check_envelope(e, start, end) : -1;
    return check_bare(e, start, end);
}

/* scan(buffer, start, stop) -> (lines, referred): checks the newline-ended lines of buffer[start:stop].
 * Clean lines are counted under their pass; referred is a flat list of (code, start, end) of every other
 * line: code is twice the line's index (from 0 within the region), plus 1 when the gate should read it.
 * The lines are checked without the GIL (no Python object is touched), so a thread inflating gzip
 * input runs meanwhile. */
static PyObject *Engine_scan(PyObject *self, PyObject *args) {
    Engine *e = (Engine *)self;
    PyObject *buffer;
    Py_ssize_t start, stop, lines = 0, used = 0, room = 0;
    Py_ssize_t *found = NULL;
    int failed = 0;
    if (!PyArg_ParseTuple(args, "Snn", &buffer, &start, &stop)) return NULL;
    char *base;
    Py_ssize_t size;
    if (PyBytes_AsStringAndSize(buffer, &base, &size) < 0) return NULL;
    if (start < 0 || stop > size || start > stop) {
        PyErr_SetString(PyExc_IndexError, "scan: region out of the buffer");
        return NULL;
    }
    const unsigned char *first = (const unsigned char *)base;
    const unsigned char *p = first + start, *limit = first + stop;
    Py_BEGIN_ALLOW_THREADS
    while (p < limit) {
        const unsigned char *end = memchr(p, '\n', limit - p);
        if (end == NULL) end = limit;
        Py_ssize_t pass = check_line(e, p, end);
        if (pass >= 0 && pass < e->npasses) {
            e->counts[pass]++;
        } else {
            if (used + 3 > room) {
                room = room ? 2 * room : 96;
                Py_ssize_t *grown = realloc(found, room * sizeof(Py_ssize_t));
                if (grown == NULL) {
                    failed = 1;
                    break;
                }
                found = grown;
            }
            found[used++] = 2 * lines + (pass == ASK_GATE);
            found[used++] = p - first;
            found[used++] = end - first;
        }
        lines++;
        p = end + 1;
    }
    Py_END_ALLOW_THREADS
    if (failed) {
        free(found);
        return PyErr_NoMemory();
    }
    PyObject *referred = PyList_New(used);
    if (referred == NULL) {
        free(found);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < used; i++) {
        PyObject *number = PyLong_FromSsize_t(found[i]);
        if (number == NULL) {
            free(found);
            Py_DECREF(referred);
            return NULL;
        }
        PyList_SetItem(referred, i, number);
    }
    free(found);
    return Py_BuildValue("(nN)", lines, referred);
}

/* check(line) -> pass, -1 (not clean) or -3 (for the gate): one line, as scan judges it. */
static PyObject *Engine_check(PyObject *self, PyObject *arg) {
    char *data;
    Py_ssize_t size;
    if (PyBytes_AsStringAndSize(arg, &data, &size) < 0) return NULL;
    return PyLong_FromSsize_t(check_line((Engine *)self, (const unsigned char *)data,
                                         (const unsigned char *)data + size));
}

/* take_counts() -> list: the clean lines counted per pass since the last call. */
static PyObject *Engine_take_counts(PyObject *self, PyObject *unused) {
    Engine *e = (Engine *)self;
    (void)unused;
    PyObject *out = PyList_New(e->npasses);
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < e->npasses; i++) {
        PyObject *count = PyLong_FromSsize_t(e->counts[i]);
        if (count == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SetItem(out, i, count);
        e->counts[i] = 0;
    }
    return out;
}

static PyMethodDef Engine_methods[] = {
    {"add_program", Engine_add_program, METH_O, "Compile a program (a type tuple) and return its index."},
    {"add_pass", Engine_add_pass, METH_NOARGS, "A new pass counter; its index."},
    {"webhook", Engine_webhook, METH_VARARGS, "webhook(name, program, pass)"},
    {"fixed", Engine_fixed, METH_VARARGS, "fixed(program, pass)"},
    {"distribution", Engine_distribution, METH_VARARGS, "distribution(event, program)"},
    {"distribution_pass", Engine_distribution_pass, METH_VARARGS, "distribution_pass(event, name, pass)"},
    {"bare", Engine_bare, METH_VARARGS, "bare(program, pass)"},
    {"bare_complete", Engine_bare_complete, METH_O, "bare_complete(flag)"},
    {"scan", Engine_scan, METH_VARARGS, "scan(buffer, start, stop) -> (lines, referred)"},
    {"check", Engine_check, METH_O, "check(line) -> pass or -1"},
    {"take_counts", Engine_take_counts, METH_NOARGS, "take_counts() -> counts per pass, reset"},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot Engine_slots[] = {
    {Py_tp_doc, "Engine(envelopes, fixed): contract programs and the lines they let through."},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_init, Engine_init},
    {Py_tp_dealloc, Engine_dealloc},
    {Py_tp_methods, Engine_methods},
    {0, NULL},
};

static PyType_Spec Engine_spec = {
    "webhook_contracts.drift.native._native.Engine", sizeof(Engine), 0, Py_TPFLAGS_DEFAULT, Engine_slots,
};

/* --------------------------------------------------------- the tree walker */

/* The drift walker (walker.py) over a payload already decoded into Python objects, for the lines the
 * validator above refers. It mirrors walker._step: values the contract settles are skipped, strings are
 * judged here when their checks are exact here, objects with fields and arrays of items are walked
 * here; anything else (a finding, a map, an open object, a number, an odd string) is handed to the
 * Python step at the same point of the walk, so findings and the order they are found in are the
 * reference walker's own. */

enum { S_STR = 1, S_INT = 2, S_FLOAT = 4, S_BOOL = 8, S_NONE = 16, S_DICT = 32, S_LIST = 64 };
enum { W_STRINGS = 1, W_STRUCT = 2, W_LIST = 4, W_MAP = 8, W_OPEN = 16, W_NUMBERS = 32 };

typedef struct {
    PyObject *node;     /* the walker's Node, handed back to Python */
    PyObject *path;     /* its JSON Pointer */
    unsigned settled;   /* S_* bits of the Python types with nothing to check here */
    unsigned flags;     /* W_* bits: what this file walks itself */
    int fmt;
    char *prefix;
    Py_ssize_t plen;
    char *constant;     /* NULL: no tag */
    Py_ssize_t clen;
    Py_ssize_t nenum;   /* -1: no enum */
    char **enums;
    Py_ssize_t *elen;
    PyObject *children; /* key -> node index (W_STRUCT) */
    PyObject *expected; /* ((key, finding), ...): the keys required or always documented (W_STRUCT) */
    Py_ssize_t items;   /* node index of array items (W_LIST), or of map values (W_MAP) */
    int expected_here;  /* whether this node's key is among its parent's expected keys */
} WNode;

typedef struct {
    PyObject_HEAD
    WNode *nodes;
    Py_ssize_t size;
    PyObject *step;        /* walker._step(value, node, raw, depth) */
    PyObject *add_new_key; /* walker._add_new_key(raw, kind, path, key, item) */
    PyObject *nothing;     /* walker._NOTHING: the value of a finding that has none */
    PyObject *new_field;   /* "new_field" */
    PyObject *new_open_key; /* "new_open_key" */
} Walker;

static unsigned type_bit(PyObject *value) {
    PyTypeObject *type = Py_TYPE(value);
    if (type == &PyUnicode_Type) return S_STR;
    if (type == &PyDict_Type) return S_DICT;
    if (type == &PyLong_Type) return S_INT;
    if (type == &PyList_Type) return S_LIST;
    if (type == &PyFloat_Type) return S_FLOAT;
    if (type == &PyBool_Type) return S_BOOL;
    if (value == Py_None) return S_NONE;
    return 0;
}

static void Walker_clear_nodes(Walker *w) {
    for (Py_ssize_t i = 0; i < w->size; i++) {
        WNode *n = &w->nodes[i];
        Py_XDECREF(n->node);
        Py_XDECREF(n->path);
        Py_XDECREF(n->children);
        Py_XDECREF(n->expected);
        free(n->prefix);
        free(n->constant);
        for (Py_ssize_t k = 0; k < n->nenum; k++) free(n->enums[k]);
        free(n->enums);
        free(n->elen);
    }
    free(w->nodes);
    w->nodes = NULL;
    w->size = 0;
}

static void Walker_dealloc(PyObject *self) {
    Walker *w = (Walker *)self;
    Walker_clear_nodes(w);
    Py_XDECREF(w->step);
    Py_XDECREF(w->add_new_key);
    Py_XDECREF(w->nothing);
    Py_XDECREF(w->new_field);
    Py_XDECREF(w->new_open_key);
    PyTypeObject *type = Py_TYPE(self);
    freefunc tp_free = (freefunc)PyType_GetSlot(type, Py_tp_free);
    tp_free(self);
    Py_DECREF(type);
}

/* node: (node, path, settled, flags, format, prefix, tag, enum, children, expected, items, expected here) */
static int build_wnode(WNode *n, PyObject *spec, Py_ssize_t size) {
    if (!PyTuple_Check(spec) || PyTuple_Size(spec) != 12) {
        PyErr_SetString(PyExc_TypeError, "walker: a node is a tuple of 12");
        return -1;
    }
    n->nenum = -1;
    n->items = -1;
    n->node = PyTuple_GetItem(spec, 0);
    Py_INCREF(n->node);
    n->path = PyTuple_GetItem(spec, 1);
    Py_INCREF(n->path);
    n->settled = (unsigned)PyLong_AsLong(PyTuple_GetItem(spec, 2));
    n->flags = (unsigned)PyLong_AsLong(PyTuple_GetItem(spec, 3));
    n->fmt = (int)PyLong_AsLong(PyTuple_GetItem(spec, 4));
    n->items = PyLong_AsSsize_t(PyTuple_GetItem(spec, 10));
    n->expected_here = PyObject_IsTrue(PyTuple_GetItem(spec, 11));
    if (PyErr_Occurred()) return -1;
    PyObject *prefix = PyTuple_GetItem(spec, 5), *tag = PyTuple_GetItem(spec, 6), *values = PyTuple_GetItem(spec, 7);
    if (prefix != Py_None && (n->prefix = copy_bytes(prefix, &n->plen)) == NULL) return -1;
    if (tag != Py_None && (n->constant = copy_bytes(tag, &n->clen)) == NULL) return -1;
    if (values != Py_None) {
        if (!PyTuple_Check(values)) {
            PyErr_SetString(PyExc_TypeError, "walker: an enum is a tuple of bytes");
            return -1;
        }
        Py_ssize_t count = PyTuple_Size(values);
        n->enums = calloc(count ? count : 1, sizeof(char *));
        n->elen = calloc(count ? count : 1, sizeof(Py_ssize_t));
        if (n->enums == NULL || n->elen == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t k = 0; k < count; k++) {
            n->nenum = k;
            if ((n->enums[k] = copy_bytes(PyTuple_GetItem(values, k), &n->elen[k])) == NULL) return -1;
        }
        n->nenum = count;
    }
    if (n->flags & W_STRUCT) {
        PyObject *children = PyTuple_GetItem(spec, 8), *expected = PyTuple_GetItem(spec, 9);
        if (!PyDict_Check(children) || !PyTuple_Check(expected)) {
            PyErr_SetString(PyExc_TypeError, "walker: an object node needs a dict of children and a tuple");
            return -1;
        }
        Py_ssize_t pos = 0;
        PyObject *key, *index;
        while (PyDict_Next(children, &pos, &key, &index)) {
            Py_ssize_t i = PyLong_AsSsize_t(index);
            if (i == -1 && PyErr_Occurred()) return -1;
            if (i < 0 || i >= size) {
                PyErr_SetString(PyExc_IndexError, "walker: a child out of the nodes");
                return -1;
            }
        }
        n->children = children;
        Py_INCREF(children);
        n->expected = expected;
        Py_INCREF(expected);
    }
    if ((n->flags & (W_LIST | W_MAP)) && (n->items < 0 || n->items >= size)) {
        PyErr_SetString(PyExc_IndexError, "walker: array items out of the nodes");
        return -1;
    }
    return 0;
}

static int Walker_init(PyObject *self, PyObject *args, PyObject *kwds) {
    Walker *w = (Walker *)self;
    PyObject *nodes, *step, *add_new_key, *nothing;
    (void)kwds;
    if (!PyArg_ParseTuple(args, "O!OOO", &PyTuple_Type, &nodes, &step, &add_new_key, &nothing)) return -1;
    Walker_clear_nodes(w);
    Py_ssize_t size = PyTuple_Size(nodes);
    if (size < 1) {
        PyErr_SetString(PyExc_ValueError, "walker: no nodes");
        return -1;
    }
    w->nodes = calloc(size, sizeof(WNode));
    if (w->nodes == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    w->size = size;
    for (Py_ssize_t i = 0; i < size; i++)
        if (build_wnode(&w->nodes[i], PyTuple_GetItem(nodes, i), size) < 0) return -1;
    PyObject *old[3] = {w->step, w->add_new_key, w->nothing};
    Py_INCREF(step);
    Py_INCREF(add_new_key);
    Py_INCREF(nothing);
    w->step = step;
    w->add_new_key = add_new_key;
    w->nothing = nothing;
    for (int i = 0; i < 3; i++) Py_XDECREF(old[i]);
    if (w->new_field == NULL && (w->new_field = PyUnicode_FromString("new_field")) == NULL) return -1;
    if (w->new_open_key == NULL && (w->new_open_key = PyUnicode_FromString("new_open_key")) == NULL) return -1;
    return 0;
}

/* Whether every check walker._check_string makes of a string holds; 0 hands the string to Python
 * (which explains it, or finds it fine after all). */
static int wstring_ok(const WNode *n, PyObject *value) {
    Py_ssize_t len;
    const char *text = PyUnicode_AsUTF8AndSize(value, &len);
    if (text == NULL) { /* a lone surrogate: Python judges it */
        PyErr_Clear();
        return 0;
    }
    const unsigned char *s = (const unsigned char *)text;
    if (n->fmt != F_NONE) {
        /* The formats above are exact on printable ASCII; other text goes to Python's patterns. */
        for (Py_ssize_t i = 0; i < len; i++)
            if (s[i] < 0x20 || s[i] >= 0x7f) return 0;
        int ok;
        switch (n->fmt) {
        case F_DATE: ok = is_date(s, len); break;
        case F_DATE_TIME: ok = is_date_time(s, len); break;
        case F_EMAIL: ok = is_email(s, len); break;
        case F_URI: ok = is_uri(s, len); break;
        default: ok = 0;
        }
        if (!ok) return 0;
    }
    if (n->prefix != NULL && (len < n->plen || memcmp(s, n->prefix, n->plen) != 0)) return 0;
    if (n->constant != NULL && (len != n->clen || memcmp(s, n->constant, len) != 0)) return 0;
    if (n->nenum >= 0) {
        for (Py_ssize_t k = 0; k < n->nenum; k++)
            if (n->elen[k] == len && memcmp(n->enums[k], s, len) == 0) return 1;
        return 0;
    }
    return 1;
}

static int call_done(PyObject *result) {
    if (result == NULL) return -1;
    Py_DECREF(result);
    return 0;
}

static int wstep(Walker *w, PyObject *value, Py_ssize_t index, PyObject *raw, int depth);

static int delegate(Walker *w, PyObject *value, const WNode *n, PyObject *raw, int depth) {
    PyObject *level = PyLong_FromLong(depth);
    if (level == NULL) return -1;
    PyObject *result = PyObject_CallFunctionObjArgs(w->step, value, n->node, raw, level, NULL);
    Py_DECREF(level);
    return call_done(result);
}

static int new_key(Walker *w, PyObject *raw, PyObject *kind, const WNode *n, PyObject *key, PyObject *item) {
    return call_done(PyObject_CallFunctionObjArgs(w->add_new_key, raw, kind, n->path, key, item, NULL));
}

/* walker._walk_object on an object with fields. */
static int wstruct(Walker *w, PyObject *value, const WNode *n, PyObject *raw, int depth) {
    Py_ssize_t pos = 0, present = 0;
    PyObject *key, *item;
    depth++;
    while (PyDict_Next(value, &pos, &key, &item)) {
        PyObject *index = PyDict_GetItemWithError(n->children, key);
        if (index == NULL) {
            if (PyErr_Occurred() || new_key(w, raw, w->new_field, n, key, item) < 0) return -1;
            continue;
        }
        Py_ssize_t i = PyLong_AsSsize_t(index);
        present += w->nodes[i].expected_here; /* keys of a dict are distinct: each counts once */
        if (wstep(w, item, i, raw, depth) < 0) return -1;
    }
    /* walker._add_missing: raw.setdefault(finding, _NOTHING) for every expected key not there. */
    Py_ssize_t expected = PyTuple_Size(n->expected);
    if (present == expected) return 0;
    for (Py_ssize_t k = 0; k < expected; k++) {
        PyObject *pair = PyTuple_GetItem(n->expected, k);
        int has = PyDict_Contains(value, PyTuple_GetItem(pair, 0));
        if (has < 0) return -1;
        if (has) continue;
        PyObject *finding = PyTuple_GetItem(pair, 1);
        int known = PyDict_Contains(raw, finding);
        if (known < 0 || (!known && PyDict_SetItem(raw, finding, w->nothing) < 0)) return -1;
    }
    return 0;
}

/* fastpath and walker: [a-z]{1,8}[_-][0-9A-Za-z]{10,} with a digit; text Python cannot encode is not one. */
static int generated_key(PyObject *key) {
    Py_ssize_t len;
    const char *text = PyUnicode_Check(key) ? PyUnicode_AsUTF8AndSize(key, &len) : NULL;
    if (text == NULL) {
        PyErr_Clear();
        return 0;
    }
    return is_generated_key((const unsigned char *)text, len);
}

/* walker._walk_object on a map of generated ids (W_MAP) or an object left open (W_OPEN). */
static int wmap(Walker *w, PyObject *value, const WNode *n, PyObject *raw, int depth) {
    Py_ssize_t pos = 0;
    PyObject *key, *item;
    while (PyDict_Next(value, &pos, &key, &item)) {
        if ((n->flags & W_MAP) && generated_key(key)) {
            if (wstep(w, item, n->items, raw, depth + 1) < 0) return -1;
        } else if (new_key(w, raw, w->new_open_key, n, key, item) < 0) {
            return -1;
        }
    }
    return 0;
}

static int wstep(Walker *w, PyObject *value, Py_ssize_t index, PyObject *raw, int depth) {
    const WNode *n = &w->nodes[index];
    unsigned bit = type_bit(value);
    if (n->settled & bit) return 0;
    if (bit == S_STR) {
        if ((n->flags & W_STRINGS) && wstring_ok(n, value)) return 0;
    } else if (bit == S_DICT) {
        if (depth <= MAX_DEPTH) {
            if (n->flags & W_STRUCT) return wstruct(w, value, n, raw, depth);
            if (n->flags & (W_MAP | W_OPEN)) return wmap(w, value, n, raw, depth);
        }
    } else if (bit == S_INT) {
        /* jsonnumbers.misfit: an integer where a number goes is fine if a double holds it. */
        if (n->flags & W_NUMBERS) {
            PyLong_AsDouble(value);
            if (!PyErr_Occurred()) return 0;
            PyErr_Clear();
        }
    } else if (bit == S_FLOAT) {
        if (n->flags & W_NUMBERS) {
            double number = PyFloat_AsDouble(value);
            if (isfinite(number)) return 0;
        }
    } else if (bit == S_LIST && (n->flags & W_LIST) && depth <= MAX_DEPTH) {
        Py_ssize_t count = PyList_Size(value);
        for (Py_ssize_t i = 0; i < count; i++) {
            PyObject *item = PyList_GetItem(value, i);
            if (item == NULL || wstep(w, item, n->items, raw, depth + 1) < 0) return -1;
        }
        return 0;
    }
    return delegate(w, value, n, raw, depth);
}

/* walk(value, raw): what walker._walk(value, root, raw, 0) adds to raw. */
static PyObject *Walker_walk(PyObject *self, PyObject *args) {
    Walker *w = (Walker *)self;
    PyObject *value, *raw;
    if (!PyArg_ParseTuple(args, "OO", &value, &raw)) return NULL;
    if (w->nodes == NULL) {
        PyErr_SetString(PyExc_ValueError, "walker: not initialised");
        return NULL;
    }
    if (wstep(w, value, 0, raw, 0) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef Walker_methods[] = {
    {"walk", Walker_walk, METH_VARARGS, "walk(value, raw): the findings of value, added to raw"},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot Walker_slots[] = {
    {Py_tp_doc, "Walker(nodes, step, add_new_key, nothing): a contract tree, walked over Python values."},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_init, Walker_init},
    {Py_tp_dealloc, Walker_dealloc},
    {Py_tp_methods, Walker_methods},
    {0, NULL},
};

static PyType_Spec Walker_spec = {
    "webhook_contracts.drift.native._native.Walker", sizeof(Walker), 0, Py_TPFLAGS_DEFAULT, Walker_slots,
};

static int add_type(PyObject *module, const char *name, PyType_Spec *spec) {
    PyObject *type = PyType_FromSpec(spec);
    if (type == NULL) return -1;
    if (PyModule_AddObject(module, name, type) < 0) {
        Py_DECREF(type);
        return -1;
    }
    return 0;
}

static int module_exec(PyObject *module) {
    init_ordinary();
    if (add_type(module, "Engine", &Engine_spec) < 0 || add_type(module, "Walker", &Walker_spec) < 0) return -1;
    return PyModule_AddIntConstant(module, "MAX_DEPTH", MAX_DEPTH);
}

static PyModuleDef_Slot module_slots[] = {{Py_mod_exec, module_exec}, {0, NULL}};

static struct PyModuleDef module_def = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "_native",
    .m_doc = "The native drift validator (see program.py).",
    .m_size = 0,
    .m_slots = module_slots,
};

PyMODINIT_FUNC PyInit__native(void) { return PyModuleDef_Init(&module_def); }
