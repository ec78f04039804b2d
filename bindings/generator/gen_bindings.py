#!/usr/bin/env python3
"""Generate Winnow's FFM (Panama) bindings of llama.cpp in the shape jextract produces.

Run by hand (Python 3 standard library and gcc only); the output is committed:

    python3 bindings/generator/gen_bindings.py [--include DIR]

DIR defaults to $WINNOW_HOME/llama.cpp/<version>/include (WINNOW_HOME defaults to ~/.cache/winnow), the headers that
bindings/native/fetch-llama.sh unpacks. The headers are run through the C preprocessor (gcc -E -dD, with the
*_SHARED macros set so that exported functions carry visibility("default")), and the declarations that come from
llama.h, ggml.h, ggml-backend.h, ggml-opt.h, ggml-cpu.h and gguf.h are parsed by a small C declaration parser below.

What is bound:
  * llama.h: every exported function (LLAMA_API) except those listed in
    bindings/src/test/resources/dev/winnow/bindings/llama-exclusions.txt (with a reason each), every struct and enum,
    every callback typedef and every integer #define. They go to class llama_h.
  * ggml.h / ggml-backend.h / gguf.h: the functions matched by GGML_INCLUDE below, all enums and integer #defines of
    those three headers. They go to class ggml_h.
  * every struct with a public layout and every callback typedef reachable from what is bound, whatever header
    declares it: one class each.

Struct layouts are computed here with the x86-64 System V rules; the ABI test (bindings/src/test) checks every size,
alignment, offset and constant against what gcc says about the real headers. The manifest abi-manifest.tsv written
into bindings/src/test/resources lists what the ABI and coverage tests check.
"""
import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULE = HERE.parent
JAVA_OUT = MODULE / "src/main/java/dev/winnow/bindings/llama"
TEST_RES = MODULE / "src/test/resources/dev/winnow/bindings"
PACKAGE = "dev.winnow.bindings.llama"
NPM_VERSION = "3.22.1"

HEADERS = {"llama.h", "ggml.h", "ggml-backend.h", "ggml-opt.h", "ggml-cpu.h", "gguf.h", "ggml-alloc.h"}
GGML_CONST_HEADERS = {"ggml.h", "ggml-backend.h", "gguf.h"}

# ggml, ggml-backend and gguf functions bound in ggml_h (regular expressions matched against the whole name)
GGML_INCLUDE = [
    # ggml.h: tensor metadata, types, ops, conversions
    r"ggml_type_size", r"ggml_blck_size", r"ggml_row_size", r"ggml_nbytes", r"ggml_nbytes_pad", r"ggml_nelements",
    r"ggml_nrows", r"ggml_element_size", r"ggml_n_dims", r"ggml_get_name", r"ggml_set_name", r"ggml_type_name",
    r"ggml_op_name", r"ggml_op_symbol", r"ggml_op_desc", r"ggml_unary_op_name", r"ggml_get_unary_op",
    r"ggml_is_contiguous", r"ggml_is_transposed", r"ggml_is_permuted", r"ggml_is_quantized", r"ggml_is_empty",
    r"ggml_is_scalar", r"ggml_is_vector", r"ggml_is_matrix", r"ggml_is_3d", r"ggml_are_same_shape",
    r"ggml_get_data", r"ggml_get_data_f32", r"ggml_fp16_to_fp32", r"ggml_fp32_to_fp16", r"ggml_fp16_to_fp32_row",
    r"ggml_fp32_to_fp16_row", r"ggml_bf16_to_fp32_row", r"ggml_fp32_to_bf16_row", r"ggml_validate_row",
    r"ggml_time_init", r"ggml_time_ms", r"ggml_time_us", r"ggml_status_to_string", r"ggml_ftype_to_ggml_type",
    r"ggml_init", r"ggml_free", r"ggml_used_mem", r"ggml_get_first_tensor", r"ggml_get_next_tensor",
    r"ggml_get_tensor", r"ggml_log_get", r"ggml_log_set",
    # ggml-backend.h: registries, devices, backends, buffers, tensor copies
    r"ggml_backend_load", r"ggml_backend_load_all", r"ggml_backend_load_all_from_path", r"ggml_backend_unload",
    r"ggml_backend_reg_.*", r"ggml_backend_dev_(count|get|by_name|by_type|name|description|memory|type|get_props|"
    r"backend_reg|init|buffer_type|host_buffer_type|supports_op|supports_buft|offload_op)",
    r"ggml_backend_(name|free|guid|get_device|get_default_buffer_type|get_alignment|get_max_size|synchronize)",
    r"ggml_backend_init_(by_name|by_type|best)",
    r"ggml_backend_tensor_(get|set|memset|get_async|set_async|copy)",
    r"ggml_backend_buffer_(name|free|get_base|get_size|get_alignment|get_max_size|is_host|clear|get_usage|"
    r"set_usage|get_type|reset)",
    r"ggml_backend_buft_(name|is_host|get_alignment|get_max_size|get_device|alloc_buffer)",
    r"ggml_backend_alloc_buffer",
    # gguf.h: reading metadata and tensor info
    r"gguf_init_(empty|from_file|from_buffer)", r"gguf_free", r"gguf_type_name", r"gguf_get_.*", r"gguf_find_.*",
]

JAVA_KEYWORDS = set("""abstract assert boolean break byte case catch char class const continue default do double else
enum extends final finally float for goto if implements import instanceof int interface long native new package
private protected public return short static strictfp super switch synchronized this throw throws transient try void
volatile while true false null var record yield sealed permits""".split())

# ---------------------------------------------------------------------------------------------------------------------
# Types


class Prim:
    # name -> (size, java type, layout constant)
    TABLE = {
        "void": (0, "void", None),
        "bool": (1, "boolean", "C_BOOL"),
        "char": (1, "byte", "C_CHAR"), "int8": (1, "byte", "C_CHAR"),
        "short": (2, "short", "C_SHORT"),
        "int": (4, "int", "C_INT"),
        "long": (8, "long", "C_LONG"), "longlong": (8, "long", "C_LONG_LONG"),
        "float": (4, "float", "C_FLOAT"), "double": (8, "double", "C_DOUBLE"),
    }

    def __init__(self, name, c_spelling):
        self.name = name
        self.c = c_spelling

    def size(self):
        return self.TABLE[self.name][0]

    def align(self):
        return self.size()

    def __repr__(self):
        return self.c


class Ptr:
    def __init__(self, to):
        self.to = to

    def size(self):
        return 8

    def align(self):
        return 8


class Array:
    def __init__(self, of, n):
        self.of = of
        self.n = n

    def size(self):
        return self.of.size() * self.n

    def align(self):
        return self.of.align()


class Func:
    def __init__(self, ret, params, variadic):
        self.ret = ret
        self.params = params  # list of (name, type)
        self.variadic = variadic


class Record:
    """A struct or union definition (name may be None for anonymous ones)."""

    def __init__(self, kind, name):
        self.kind = kind
        self.name = name
        self.members = None  # list of (name or None, type); None -> declared but opaque
        self.header = None
        self.line = 0
        self.layout_cache = None

    def complete(self):
        return self.members is not None

    def layout(self):
        """(size, align, [(name, type, offset)]) with anonymous unions/structs flattened into their parent."""
        if self.layout_cache:
            return self.layout_cache
        if not self.complete():
            raise ValueError("incomplete %s %s" % (self.kind, self.name))
        off, align, fields = 0, 1, []
        for name, t in self.members:
            a, s = t.align(), t.size()
            if self.kind == "struct":
                off = (off + a - 1) // a * a
                start = off
                off += s
            else:
                start = 0
                off = max(off, s)
            align = max(align, a)
            fields.append((name, t, start))
        size = (off + align - 1) // align * align
        self.layout_cache = (size, align, fields)
        return self.layout_cache

    def size(self):
        return self.layout()[0]

    def align(self):
        return self.layout()[1]


class RecordRef:
    def __init__(self, rec):
        self.rec = rec

    def size(self):
        return self.rec.size()

    def align(self):
        return self.rec.align()


class EnumT:
    def __init__(self, name):
        self.name = name

    def size(self):
        return 4

    def align(self):
        return 4


class TypedefRef:
    def __init__(self, name, target):
        self.name = name
        self.target = target

    def size(self):
        return self.target.size()

    def align(self):
        return self.target.align()


def resolve(t):
    while isinstance(t, TypedefRef):
        t = t.target
    return t


STD_TYPES = {
    "int8_t": ("int8", "int8_t"), "uint8_t": ("int8", "uint8_t"), "int16_t": ("short", "int16_t"),
    "uint16_t": ("short", "uint16_t"), "int32_t": ("int", "int32_t"), "uint32_t": ("int", "uint32_t"),
    "int64_t": ("longlong", "int64_t"), "uint64_t": ("longlong", "uint64_t"), "size_t": ("long", "size_t"),
    "ssize_t": ("long", "ssize_t"), "intptr_t": ("long", "intptr_t"), "uintptr_t": ("long", "uintptr_t"),
    "ptrdiff_t": ("long", "ptrdiff_t"), "_Bool": ("bool", "bool"), "bool": ("bool", "bool"),
}

# ---------------------------------------------------------------------------------------------------------------------
# Preprocess and tokenize

TOKEN_RE = re.compile(r"""\s*(?:(?P<id>[A-Za-z_]\w*)|(?P<num>0[xX][0-9A-Fa-f]+[uUlL]*|\d+\.\d*(?:[eE][-+]?\d+)?[fF]?|\d+[uUlL]*)
    |(?P<str>"(?:\\.|[^"\\])*")|(?P<chr>'(?:\\.|[^'\\])*')|(?P<punct>\.\.\.|<<|>>|->|[-+*/%&|^~!<>=?:;,.(){}\[\]#]))""",
                      re.X)


class Tok:
    __slots__ = ("kind", "text", "file", "line")

    def __init__(self, kind, text, file, line):
        self.kind, self.text, self.file, self.line = kind, text, file, line

    def __repr__(self):
        return self.text


def preprocess(include_dir):
    src = '#include "llama.h"\n'
    out = subprocess.run(["gcc", "-E", "-dD", "-DLLAMA_SHARED", "-DGGML_SHARED", "-DGGML_BACKEND_SHARED",
                          "-I", str(include_dir), "-x", "c", "-"], input=src, capture_output=True, text=True,
                         check=True).stdout
    tokens, defines = [], []
    cur, line = None, 0
    marker = re.compile(r'^# (\d+) "([^"]*)"')
    for raw in out.split("\n"):
        m = marker.match(raw)
        if m:
            line = int(m.group(1))
            cur = os.path.basename(m.group(2)) if m.group(2).startswith(str(include_dir)) or \
                m.group(2).startswith("./") else None
            if cur not in HEADERS:
                cur = None
            continue
        if raw.startswith("#"):
            if cur and raw.startswith("#define "):
                defines.append((cur, line, raw[len("#define "):]))
            line += 1
            continue
        if cur:
            pos = 0
            while pos < len(raw):
                m = TOKEN_RE.match(raw, pos)
                if not m or m.end() == pos:
                    if raw[pos:].strip() == "":
                        break
                    raise SystemExit("cannot tokenize %s:%d: %r" % (cur, line, raw[pos:]))
                pos = m.end()
                kind = m.lastgroup
                tokens.append(Tok(kind, m.group(kind), cur, line))
        line += 1
    return tokens, defines


# ---------------------------------------------------------------------------------------------------------------------
# Parser of C declarations


class Decl:
    def __init__(self, name, type_, header, line, exported, deprecated, is_typedef):
        self.name, self.type, self.header, self.line = name, type_, header, line
        self.exported, self.deprecated, self.is_typedef = exported, deprecated, is_typedef


class Parser:
    def __init__(self, tokens):
        self.toks = tokens
        self.i = 0
        self.records = {}  # "struct X" -> Record
        self.typedefs = {}  # name -> type
        self.enums = []  # (enum name or None, [(const, value)], header, line)
        self.enum_values = {}
        self.decls = []  # functions and typedefs
        self.anon_records = []

    def peek(self, k=0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def text(self, k=0):
        t = self.peek(k)
        return t.text if t else None

    def next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, s):
        t = self.next()
        if t.text != s:
            raise SystemExit("expected %r at %s:%d, got %r" % (s, t.file, t.line, t.text))
        return t

    def skip_balanced(self):
        """Skips a balanced (...) group starting at the current '(' and returns its tokens (without the parens)."""
        depth, out = 0, []
        while True:
            t = self.next()
            if t.text == "(":
                depth += 1
                if depth == 1:
                    continue
            elif t.text == ")":
                depth -= 1
                if depth == 0:
                    return out
            out.append(t)

    def attributes(self, info):
        while self.text() == "__attribute__":
            self.next()
            inner = self.skip_balanced()
            txt = " ".join(t.text for t in inner)
            if "visibility" in txt and '"default"' in txt:
                info["exported"] = True
            m = re.search(r'deprecated\s*\(\s*("(?:[^"\\]|\\.)*")', txt)
            if m:
                info["deprecated"] = m.group(1)[1:-1]
            elif re.search(r"\bdeprecated\b", txt):
                info["deprecated"] = ""

    def parse(self):
        while self.i < len(self.toks):
            self.declaration()
        return self

    def declaration(self):
        start = self.peek()
        info = {"exported": False, "deprecated": None, "typedef": False, "static": False}
        base = self.decl_specifiers(info)
        if self.text() == ";":
            self.next()
            return
        while True:
            name, t = self.declarator(base, info)
            self.attributes(info)
            if self.text() == "=":  # static const initializers: skip
                while self.text() not in (",", ";"):
                    self.next()
            if self.text() == "{":  # function body (static inline): skip
                depth = 0
                while True:
                    x = self.next().text
                    depth += x == "{"
                    depth -= x == "}"
                    if depth == 0:
                        break
                return
            if info["typedef"]:
                self.typedefs[name] = t
                self.decls.append(Decl(name, t, start.file, start.line, False, None, True))
            elif isinstance(t, Func) and not info["static"]:
                self.decls.append(Decl(name, t, start.file, start.line, info["exported"], info["deprecated"], False))
            if self.text() == ",":
                self.next()
                continue
            self.expect(";")
            return

    def decl_specifiers(self, info):
        words, base = [], None
        while True:
            x = self.text()
            if x in ("typedef",):
                info["typedef"] = True
                self.next()
            elif x in ("extern", "inline", "__inline", "__inline__", "const", "volatile", "__restrict",
                       "__restrict__", "restrict", "__extension__", "register", "_Noreturn"):
                self.next()
            elif x == "static":
                info["static"] = True
                self.next()
            elif x == "__attribute__":
                self.attributes(info)
            elif x in ("struct", "union"):
                base = self.record()
            elif x == "enum":
                base = self.enum()
            elif x in ("unsigned", "signed", "int", "long", "short", "char", "float", "double", "void", "_Bool",
                       "__int128"):
                words.append(self.next().text)
            elif base is None and not words and self.peek().kind == "id" and (x in self.typedefs or x in STD_TYPES
                                                                              or x in ("FILE", "va_list")):
                self.next()
                if x in STD_TYPES:
                    base = Prim(*STD_TYPES[x])
                elif x in ("FILE",):
                    base = TypedefRef("FILE", Record("struct", "_IO_FILE"))
                elif x == "va_list":
                    base = TypedefRef("va_list", Prim("void", "va_list"))
                else:
                    base = TypedefRef(x, self.typedefs[x])
            else:
                break
        if base is None:
            if not words:
                raise SystemExit("no type at %s:%d near %r" % (self.peek().file, self.peek().line, self.text()))
            spelled = " ".join(words).replace("_Bool", "bool")
            w = [x for x in words if x not in ("signed", "unsigned")]
            if w.count("long") >= 2:
                name = "longlong"
            elif "long" in w and "double" not in w:
                name = "long"
            elif "short" in w:
                name = "short"
            elif "char" in w:
                name = "char"
            elif w == ["_Bool"]:
                name = "bool"
            elif w and w[0] in ("float", "double", "void"):
                name = w[0]
            else:
                name = "int"
            base = Prim(name, spelled)
        return base

    def record(self):
        kind = self.next().text
        info = {}
        self.attributes(info)
        name = None
        if self.peek().kind == "id":
            name = self.next().text
        key = "%s %s" % (kind, name) if name else None
        rec = self.records.get(key) if key else None
        if rec is None:
            rec = Record(kind, name)
            if key:
                self.records[key] = rec
            else:
                self.anon_records.append(rec)
        if self.text() == "{":
            start = self.next()
            rec.header, rec.line = start.file, start.line
            members = []
            while self.text() != "}":
                minfo = {"exported": False, "deprecated": None, "typedef": False, "static": False}
                mbase = self.decl_specifiers(minfo)
                if self.text() == ";":  # anonymous struct/union member
                    members.append((None, mbase))
                    self.next()
                    continue
                while True:
                    mname, mt = self.declarator(mbase, minfo)
                    if self.text() == ":":
                        raise SystemExit("bit-fields are not supported (%s)" % mname)
                    members.append((mname, mt))
                    if self.text() == ",":
                        self.next()
                        continue
                    break
                self.expect(";")
            self.expect("}")
            rec.members = members
        self.attributes(info)
        return RecordRef(rec)

    def enum(self):
        self.next()
        name = None
        if self.peek().kind == "id":
            name = self.next().text
        if self.text() == "{":
            start = self.next()
            consts, value = [], -1
            while self.text() != "}":
                cname = self.next().text
                if self.text() == "=":
                    self.next()
                    expr = []
                    depth = 0
                    while not (depth == 0 and self.text() in (",", "}")):
                        t = self.next()
                        depth += t.text == "("
                        depth -= t.text == ")"
                        expr.append(t.text)
                    value = self.eval_expr(expr)
                else:
                    value += 1
                consts.append((cname, value))
                self.enum_values[cname] = value
                if self.text() == ",":
                    self.next()
            self.expect("}")
            self.enums.append((name, consts, start.file, start.line))
        return EnumT(name)

    def eval_expr(self, toks):
        out = []
        for x in toks:
            if x in self.enum_values:
                out.append(str(self.enum_values[x]))
            elif re.match(r"^(0[xX][0-9A-Fa-f]+|\d+)[uUlL]+$", x):
                out.append(re.sub(r"[uUlL]+$", "", x))
            elif x == "/":
                out.append("//")
            else:
                out.append(x)
        return int(eval(" ".join(out), {"__builtins__": {}}))

    def declarator(self, base, info):
        ptrs = 0
        while self.text() in ("*", "const", "volatile", "__restrict", "__restrict__", "restrict"):
            if self.next().text == "*":
                ptrs += 1
        inner = None
        name = None
        if self.text() == "(" and self.text(1) in ("*", "("):
            self.next()
            inner = self.declarator_inner()
            self.expect(")")
        elif self.peek().kind == "id" and self.text() != "__attribute__":
            name = self.next().text
        suffixes = []
        while self.text() in ("[", "("):
            if self.next().text == "[":
                expr = []
                while self.text() != "]":
                    expr.append(self.next().text)
                self.next()
                suffixes.append(("array", self.eval_dim(expr)))
            else:
                suffixes.append(("func",) + self.params())

        def build(t):
            for _ in range(ptrs):
                t = Ptr(t)
            for s in reversed(suffixes):
                if s[0] == "array":
                    t = Array(t, s[1])
                else:
                    t = Func(t, s[1], s[2])
            return t

        if inner:
            iname, iwrap = inner
            return iname, iwrap(build(base))
        return name, build(base)

    def declarator_inner(self):
        # returns (name, wrap-function)
        ptrs = 0
        while self.text() in ("*", "const"):
            if self.next().text == "*":
                ptrs += 1
        name = self.next().text if self.peek().kind == "id" else None
        suffixes = []
        while self.text() in ("[", "("):
            if self.next().text == "[":
                expr = []
                while self.text() != "]":
                    expr.append(self.next().text)
                self.next()
                suffixes.append(("array", self.eval_dim(expr)))
            else:
                suffixes.append(("func",) + self.params())

        def wrap(t):
            for _ in range(ptrs):
                t = Ptr(t)
            for s in reversed(suffixes):
                t = Array(t, s[1]) if s[0] == "array" else Func(t, s[1], s[2])
            return t
        return name, wrap

    def eval_dim(self, expr):
        txt = " ".join(expr)
        txt = re.sub(r"sizeof\s*\(\s*(\w+)\s*\)", lambda m: str(Prim(*STD_TYPES[m.group(1)]).size()), txt)
        return self.eval_expr(txt.split())

    def params(self):
        """Parses a parameter list after '('; returns ([(name, type)], variadic)."""
        ps, variadic = [], False
        if self.text() == "void" and self.text(1) == ")":
            self.next()
            self.next()
            return ps, False
        while self.text() != ")":
            if self.text() == "...":
                self.next()
                variadic = True
                continue
            info = {"exported": False, "deprecated": None, "typedef": False, "static": False}
            pbase = self.decl_specifiers(info)
            pname, pt = self.declarator(pbase, info)
            if isinstance(pt, Array):
                pt = Ptr(pt.of)
            if isinstance(pt, Func):
                pt = Ptr(pt)
            ps.append((pname, pt))
            if self.text() == ",":
                self.next()
        self.next()
        return ps, variadic


# ---------------------------------------------------------------------------------------------------------------------
# Java emission

def java_name(n):
    return n + "_" if n in JAVA_KEYWORDS else n


def c_spell(t, inner=""):
    """C spelling of a type (for Javadoc and the ABI manifest)."""
    if isinstance(t, Prim):
        return (t.c + " " + inner).strip()
    if isinstance(t, TypedefRef):
        return (t.name + " " + inner).strip()
    if isinstance(t, RecordRef):
        return ("%s %s %s" % (t.rec.kind, t.rec.name or "{...}", inner)).strip()
    if isinstance(t, EnumT):
        return ("enum %s %s" % (t.name, inner)).strip()
    if isinstance(t, Ptr):
        if isinstance(t.to, (Func, Array)):
            return c_spell(t.to, "(*%s)" % inner)
        return c_spell(t.to, "*" + inner)
    if isinstance(t, Array):
        return c_spell(t.of, "%s[%d]" % (inner, t.n))
    if isinstance(t, Func):
        ps = ", ".join(c_spell(pt, pn or "") for pn, pt in t.params) or "void"
        if t.variadic:
            ps += ", ..."
        return c_spell(t.ret, "%s(%s)" % (inner, ps))
    raise TypeError(t)


class Gen:
    def __init__(self, parser, include_dir, exclusions):
        self.p = parser
        self.include_dir = include_dir
        self.exclusions = exclusions
        self.sources = {}
        self.struct_classes = {}  # Record -> java class name
        self.callback_typedefs = {}  # typedef name -> Func
        self.manifest = []

    # -- comments from the original header, for Javadoc
    def header_lines(self, header):
        if header not in self.sources:
            self.sources[header] = (Path(self.include_dir) / header).read_text(encoding="utf-8").split("\n")
        return self.sources[header]

    def comment_above(self, header, line):
        lines = self.header_lines(header)
        out = []
        j = line - 2
        while j >= 0 and lines[j].strip().startswith("//"):
            out.insert(0, lines[j].strip().lstrip("/").strip())
            j -= 1
        if 0 < line <= len(lines) and "//" in lines[line - 1]:
            trailing = lines[line - 1].split("//", 1)[1].strip()
            if trailing:
                out.append(trailing)
        return [x for x in out if x]

    def comment_for_field(self, header, name, start_line, end_hint=400):
        lines = self.header_lines(header)
        pat = re.compile(r"[\s*]%s\s*(\[[^\]]*\])?\s*[;,)]" % re.escape(name))
        for k in range(start_line - 1, min(len(lines), start_line + end_hint)):
            if pat.search(" " + lines[k]):
                return self.comment_above(header, k + 1)
        return []

    @staticmethod
    def esc(s):
        return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "&#64;")
                .replace("*/", "*&#47;").replace("\\", "&#92;").replace("{", "&#123;").replace("}", "&#125;"))

    def javadoc(self, text_lines, c_decl=None, indent="    ", extra=(), tags=()):
        out = [indent + "/**"]
        for x in text_lines:
            out.append(indent + " * " + self.esc(x))
        if text_lines and (c_decl or extra):
            out.append(indent + " * <p>")
        for x in extra:
            out.append(indent + " * " + x)
        if c_decl:
            out.append(indent + " * {@snippet lang=c :")
            for x in c_decl.split("\n"):
                out.append(indent + " * " + x.replace("*/", "* /").replace("\\", "\\\\"))
            out.append(indent + " * }")
        if tags:
            out.append(indent + " *")
        for x in tags:
            out.append(indent + " * " + x)
        out.append(indent + " */")
        return "\n".join(out)

    # -- type mapping
    def layout_expr(self, t):
        r = resolve(t)
        if isinstance(r, Prim):
            const = Prim.TABLE[r.name][2]
            if const is None:
                raise ValueError("void has no layout")
            return "llama_h." + const
        if isinstance(r, EnumT):
            return "llama_h.C_INT"
        if isinstance(r, Ptr):
            return "llama_h.C_POINTER"
        if isinstance(r, RecordRef):
            return "%s.%s.$LAYOUT()" % (PACKAGE, self.struct_class(r.rec))
        if isinstance(r, Array):
            return "MemoryLayout.sequenceLayout(%d, %s)" % (r.n, self.layout_expr(r.of))
        raise TypeError(c_spell(t))

    def java_type(self, t):
        r = resolve(t)
        if isinstance(r, Prim):
            return Prim.TABLE[r.name][1]
        if isinstance(r, EnumT):
            return "int"
        return "MemorySegment"

    def layout_class(self, t):
        r = resolve(t)
        if isinstance(r, Prim):
            return {"boolean": "OfBoolean", "byte": "OfByte", "short": "OfShort", "int": "OfInt", "long": "OfLong",
                    "float": "OfFloat", "double": "OfDouble"}[Prim.TABLE[r.name][1]]
        if isinstance(r, EnumT):
            return "OfInt"
        if isinstance(r, Ptr):
            return "AddressLayout"
        if isinstance(r, RecordRef):
            return "GroupLayout"
        if isinstance(r, Array):
            return "SequenceLayout"
        raise TypeError(c_spell(t))

    def descriptor(self, f):
        args = ", ".join(self.layout_expr(pt) for _, pt in f.params)
        ret = resolve(f.ret)
        if isinstance(ret, Prim) and ret.name == "void":
            return "FunctionDescriptor.ofVoid(%s)" % args
        return "FunctionDescriptor.of(%s%s)" % (self.layout_expr(f.ret), ", " + args if args else "")

    def struct_class(self, rec):
        if rec not in self.struct_classes:
            if not rec.name:
                raise ValueError("anonymous record outside a struct")
            self.struct_classes[rec] = rec.name
        return self.struct_classes[rec]

    # -- reachability
    def reach(self, t, seen):
        if id(t) in seen:
            return
        seen.add(id(t))
        if isinstance(t, TypedefRef):
            if isinstance(resolve(t), Ptr) and isinstance(resolve(t).to, Func) and t.name in self.p.typedefs:
                self.callback_typedefs[t.name] = resolve(t).to
            self.reach(t.target, seen)
        elif isinstance(t, Ptr):
            self.reach(t.to, seen)
        elif isinstance(t, Array):
            self.reach(t.of, seen)
        elif isinstance(t, Func):
            self.reach(t.ret, seen)
            for _, pt in t.params:
                self.reach(pt, seen)
        elif isinstance(t, RecordRef):
            if t.rec.complete() and t.rec.name and t.rec.name != "_IO_FILE":
                self.struct_class(t.rec)
                for _, mt in t.rec.members:
                    self.reach(mt, seen)
        elif isinstance(t, EnumT):
            if t.name:
                self.reached_enums.add(t.name)

    # -- emission of one header class
    def header_class(self, cls, funcs, enums, defines, doc):
        out = [FILE_HEAD % PACKAGE, "import dev.winnow.bindings.LlamaNative;", ""]
        out.append("import java.lang.foreign.*;")
        out.append("import java.lang.invoke.MethodHandle;")
        out.append("")
        out.append(self.javadoc(doc, indent=""))
        out.append("@SuppressWarnings({\"unused\", \"doclint\"})")
        out.append("public final class %s {" % cls)
        out.append("")
        out.append("    private %s() {" % cls)
        out.append("    }")
        out.append("")
        if cls == "llama_h":
            out.append(C_LAYOUTS)
        out.append("""    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new AssertionError("a downcall threw a checked exception", t);
    }
""")
        for name, consts, header, line in enums:
            for cname, value in consts:
                out.append("    /** Constant {@code %s = %d} of {@code enum %s} (%s). */" % (
                    cname, value, name or "(anonymous)", header))
                out.append("    public static int %s() {\n        return %d;\n    }\n" % (cname, value))
                self.manifest.append(("enum", cname, "%s.%s" % (PACKAGE, cls), str(value)))
        for dname, value, jtype, header in defines:
            lit = ("%dL" % value) if jtype == "long" else str(value)
            out.append("    /** Integer constant {@code #define %s} of %s (value as C evaluates it: %d). */" % (
                dname, header, value))
            out.append("    public static %s %s() {\n        return %s;\n    }\n" % (jtype, dname, lit))
            self.manifest.append(("define", dname, "%s.%s" % (PACKAGE, cls), jtype))
        for d in funcs:
            out.append(self.function(d))
        out.append("}")
        return "\n".join(out) + "\n"

    def function(self, d):
        f = d.type
        n = d.name
        ret = resolve(f.ret)
        struct_ret = isinstance(ret, RecordRef)
        void = isinstance(ret, Prim) and ret.name == "void"
        jret = "void" if void else self.java_type(f.ret)
        params = []
        for k, (pn, pt) in enumerate(f.params):
            params.append((self.java_type(pt), java_name(pn) if pn else "x%d" % k))
        sig = ", ".join("%s %s" % p for p in params)
        args = ", ".join(p[1] for p in params)
        if struct_ret:
            sig = "SegmentAllocator allocator" + (", " + sig if sig else "")
            args = "allocator" + (", " + args if args else "")
        proto = c_spell(f, n) + ";"
        doc = self.comment_above(d.header, d.line)
        extra = ["Binds {@code %s} of {@code %s} (llama.cpp); the C parameters map as: pointers and "
                 "{@code const char *} to {@link MemorySegment}, {@code bool} to {@code boolean}, integers and enums to "
                 "{@code int}/{@code long} of the same width%s." %
                 (n, d.header, ", struct values to segments holding the struct; the returned struct is allocated "
                               "with {@code allocator}" if struct_ret else "")]
        lines = []
        lines.append("    private static final class %s {" % n)
        lines.append("        static final FunctionDescriptor DESC = %s;" % self.descriptor(f))
        lines.append("        static final MemorySegment ADDR = LlamaNative.load().symbol(\"%s\");" % n)
        lines.append("        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(ADDR, DESC);")
        lines.append("    }")
        lines.append("")
        lines.append("    /** {@return the function descriptor of {@code %s}} */" % n)
        lines.append("    public static FunctionDescriptor %s$descriptor() {\n        return %s.DESC;\n    }\n" % (n, n))
        lines.append("    /** {@return the cached downcall handle of {@code %s}} */" % n)
        lines.append("    public static MethodHandle %s$handle() {\n        return %s.HANDLE;\n    }\n" % (n, n))
        lines.append("    /** {@return the address of {@code %s} in the loaded library} */" % n)
        lines.append("    public static MemorySegment %s$address() {\n        return %s.ADDR;\n    }\n" % (n, n))
        tags = []
        if struct_ret:
            tags.append("@param allocator allocates the returned {@code %s}" % self.esc(c_spell(f.ret)))
        for (pj, pn), (cn, ct) in zip(params, f.params):
            tags.append("@param %s C {@code %s}" % (pn, self.esc(c_spell(ct, cn or ""))))
        if not void:
            tags.append("@return C {@code %s}%s" % (self.esc(c_spell(f.ret)), " (a struct in a segment from "
                                                      "{@code allocator})" if struct_ret else ""))
        lines.append(self.javadoc(doc, proto, extra=extra, tags=tags))
        lines.append("    public static %s %s(%s) {" % (jret, n, sig))
        lines.append("        MethodHandle mh$;")
        lines.append("        try {")
        lines.append("            mh$ = %s.HANDLE;" % n)
        lines.append("        } catch (ExceptionInInitializerError | NoClassDefFoundError e) {")
        lines.append("            throw LlamaNative.bindingUnavailable(\"%s\", e);" % n)
        lines.append("        }")
        lines.append("        try {")
        if void:
            lines.append("            mh$.invokeExact(%s);" % args)
        else:
            lines.append("            return (%s) mh$.invokeExact(%s);" % (jret, args))
        lines.append("        } catch (Throwable ex$) {")
        lines.append("            throw rethrow(ex$);")
        lines.append("        }")
        lines.append("    }")
        lines.append("")
        self.manifest.append(("function", n, "%s.%s" % (PACKAGE, self.current_header), d.header))
        return "\n".join(lines)

    # -- callbacks
    def callback_body(self, name, f, indent, outer_cls):
        ret = resolve(f.ret)
        void = isinstance(ret, Prim) and ret.name == "void"
        struct_ret = isinstance(ret, RecordRef)
        jret = "void" if void else self.java_type(f.ret)
        params = [(self.java_type(pt), java_name(pn) if pn else "x%d" % k) for k, (pn, pt) in enumerate(f.params)]
        sig = ", ".join("%s %s" % p for p in params)
        args = ", ".join(p[1] for p in params)
        ctypes = {pj: self.esc(c_spell(pt, pn or "")) for (_, pj), (pn, pt) in zip(params, f.params)}
        cret = self.esc(c_spell(f.ret))
        i = indent
        L = []
        L.append(i + "/** The Java side of the function pointer; an implementation must not throw (a throwing upcall "
                     "ends the JVM). */")
        L.append(i + "@FunctionalInterface")
        L.append(i + "public interface Function {")
        L.append(i + "    /**")
        L.append(i + "     * Called from native code.")
        for t, pn in params:
            L.append(i + "     * @param %s C {@code %s}" % (pn, ctypes[pn]))
        if not void:
            L.append(i + "     * @return C {@code %s}, handed back to the caller" % cret)
        L.append(i + "     */")
        L.append(i + "    %s apply(%s);" % (jret, sig))
        L.append(i + "}")
        L.append("")
        L.append(i + "private static final FunctionDescriptor $DESC = %s;" % self.descriptor(f))
        L.append("")
        L.append(i + "/** {@return the function descriptor of this function pointer type} */")
        L.append(i + "public static FunctionDescriptor descriptor() {\n%s    return $DESC;\n%s}\n" % (i, i))
        L.append(i + "private static final MethodHandle UP$MH = upcallTarget();")
        L.append("")
        L.append(i + "private static MethodHandle upcallTarget() {")
        L.append(i + "    try {")
        L.append(i + "        return java.lang.invoke.MethodHandles.lookup().findVirtual(Function.class, \"apply\", "
                     "$DESC.toMethodType());")
        L.append(i + "    } catch (ReflectiveOperationException e) {")
        L.append(i + "        throw new IllegalStateException(e);")
        L.append(i + "    }")
        L.append(i + "}")
        L.append("")
        L.append(i + "/**")
        L.append(i + " * Allocates an upcall stub: a C function pointer that calls {@code fi}.")
        L.append(i + " * @param fi the Java implementation")
        L.append(i + " * @param arena the arena whose lifetime bounds the stub's (use {@link Arena#global()} for a "
                     "pointer kept by llama.cpp)")
        L.append(i + " * @return the function pointer")
        L.append(i + " */")
        L.append(i + "public static MemorySegment allocate(%s.Function fi, Arena arena) {" % outer_cls)
        L.append(i + "    return Linker.nativeLinker().upcallStub(UP$MH.bindTo(fi), $DESC, arena);")
        L.append(i + "}")
        L.append("")
        L.append(i + "private static final MethodHandle DOWN$MH = Linker.nativeLinker().downcallHandle($DESC);")
        L.append("")
        dsig = "MemorySegment funcPtr" + (", SegmentAllocator allocator" if struct_ret else "") + \
            (", " + sig if sig else "")
        dargs = "funcPtr" + (", allocator" if struct_ret else "") + (", " + args if args else "")
        L.append(i + "/**")
        L.append(i + " * Calls a C function pointer of this type.")
        L.append(i + " * @param funcPtr the function pointer")
        if struct_ret:
            L.append(i + " * @param allocator allocates the returned struct")
        for t, pn in params:
            L.append(i + " * @param %s C {@code %s}" % (pn, ctypes[pn]))
        if not void:
            L.append(i + " * @return what the function returned")
        L.append(i + " */")
        L.append(i + "public static %s invoke(%s) {" % (jret, dsig))
        L.append(i + "    try {")
        if void:
            L.append(i + "        DOWN$MH.invokeExact(%s);" % dargs)
        else:
            L.append(i + "        return (%s) DOWN$MH.invokeExact(%s);" % (jret, dargs))
        L.append(i + "    } catch (Throwable ex$) {")
        L.append(i + "        throw llama_h.rethrow(ex$);")
        L.append(i + "    }")
        L.append(i + "}")
        return "\n".join(L)

    def callback_class(self, name, f):
        d = next(x for x in self.p.decls if x.is_typedef and x.name == name)
        doc = self.comment_above(d.header, d.line)
        out = [FILE_HEAD % PACKAGE, "import java.lang.foreign.*;", "import java.lang.invoke.MethodHandle;", ""]
        out.append(self.javadoc(doc, "typedef " + c_spell(Ptr(f), name) + ";", indent="",
                                extra=["Function pointer type {@code %s} of {@code %s}." % (name, d.header)]))
        out.append("public final class %s {" % name)
        out.append("")
        out.append("    private %s() {\n    }\n" % name)
        out.append(self.callback_body(name, f, "    ", name))
        out.append("}")
        return "\n".join(out) + "\n"

    # -- structs
    def struct_source(self, rec, cls_name, nested=False, indent="", c_path=None, c_owner=None):
        size, align, fields = rec.layout()
        i = indent
        L = []
        c_owner = c_owner or ("%s %s" % (rec.kind, rec.name))
        if not nested:
            L.append(FILE_HEAD % PACKAGE + "import java.lang.foreign.*;\nimport java.lang.foreign.ValueLayout.*;\n"
                     "import java.lang.invoke.MethodHandle;\nimport java.util.Objects;\nimport java.util.function."
                     "Consumer;\n")
        doc = self.comment_above(rec.header, rec.line) if not nested else []
        c_decl = "%s %s {\n%s}" % (rec.kind, rec.name or "", "".join(
            "    %s;\n" % c_spell(t, n or "") if n else "    %s;\n" % c_spell(t) for n, t in rec.members))
        L.append(self.javadoc(doc, c_decl, indent=i, extra=[
            "Layout of {@code %s} (%s; x86-64: %d bytes, aligned to %d): static accessors over a "
            "{@link MemorySegment} holding one." % (c_owner if not nested else c_owner + " " + c_path, rec.header,
                                                     size, align)]))
        static = "static " if nested else ""
        L.append(i + "public %sfinal class %s {" % (static, cls_name))
        L.append("")
        L.append(i + "    private %s() {\n%s    }\n" % (cls_name, i))
        flat = self.flatten(rec, 0)
        # field layouts
        for fname, t, off in flat:
            L.append(i + "    private static final %s %s$LAYOUT = (%s) %s.withName(\"%s\");" % (
                self.layout_class(t), fname, self.layout_class(t), self.layout_expr_in_struct(t, rec, fname),
                fname))
        L.append("")
        L.append(i + "    private static final GroupLayout $LAYOUT = %s;" % self.group_expr(rec, i + "        "))
        L.append("")
        L.append(i + "    /** {@return the layout of the struct} */")
        L.append(i + "    public static GroupLayout $LAYOUT() {\n%s        return $LAYOUT;\n%s    }\n" % (i, i))
        L.append(i + "    /** {@return the size of the struct in bytes} */")
        L.append(i + "    public static long sizeof() {\n%s        return $LAYOUT.byteSize();\n%s    }\n" % (i, i))
        L.append(i + "    /**\n%s     * Allocates one struct (zeroed when the allocator zeroes, as arenas do).\n"
                     "%s     * @param allocator where to allocate\n%s     * @return the new struct\n%s     */" % (i, i, i, i))
        L.append(i + "    public static MemorySegment allocate(SegmentAllocator allocator) {\n"
                     "%s        return allocator.allocate($LAYOUT);\n%s    }\n" % (i, i))
        L.append(i + "    /**\n%s     * Allocates an array of structs.\n%s     * @param elementCount number of "
                     "structs, at least 0\n%s     * @param allocator where to allocate\n%s     * @return the array\n"
                     "%s     */" % (i, i, i, i, i))
        L.append(i + "    public static MemorySegment allocateArray(long elementCount, SegmentAllocator allocator) {\n"
                     "%s        return allocator.allocate(MemoryLayout.sequenceLayout(elementCount, $LAYOUT));\n"
                     "%s    }\n" % (i, i))
        L.append(i + "    /**\n%s     * The element at {@code index} of an array of these structs.\n"
                     "%s     * @param array the array\n%s     * @param index element index, from 0\n"
                     "%s     * @return a slice of {@code array}\n%s     */" % (i, i, i, i, i))
        L.append(i + "    public static MemorySegment asSlice(MemorySegment array, long index) {\n"
                     "%s        return array.asSlice($LAYOUT.byteSize() * index, $LAYOUT);\n%s    }\n" % (i, i))
        L.append(i + "    /**\n%s     * Gives a native pointer to one struct its size (pointers returned by C have size "
                     "0).\n%s     * @param addr the pointer\n%s     * @return a segment of {@link #sizeof()} bytes at "
                     "{@code addr}\n%s     */" % (i, i, i, i))
        L.append(i + "    public static MemorySegment reinterpret(MemorySegment addr) {\n"
                     "%s        return addr.reinterpret($LAYOUT.byteSize());\n%s    }\n" % (i, i))
        L.append(i + "    /**\n%s     * Gives a native pointer to an array of structs its size, with a clean-up "
                     "action.\n%s     * @param addr the pointer\n%s     * @param elementCount number of structs\n"
                     "%s     * @param arena the arena bounding the segment's lifetime\n%s     * @param cleanup run "
                     "when the arena closes, or {@code null}\n%s     * @return the resized segment\n%s     */" % (
                         i, i, i, i, i, i, i))
        L.append(i + "    public static MemorySegment reinterpret(MemorySegment addr, long elementCount, Arena arena, "
                     "Consumer<MemorySegment> cleanup) {\n%s        return addr.reinterpret($LAYOUT.byteSize() * "
                     "elementCount, arena, cleanup);\n%s    }\n" % (i, i))
        for fname, t, off in flat:
            L.append(self.field_accessors(rec, fname, t, off, i + "    ", cls_name))
            self.manifest.append(("field", self.manifest_struct_key, fname, "%s" % self.c_field_path(c_path, fname)))
        # nested classes for anonymous struct members and function pointer fields
        for fname, t, off in flat:
            r = resolve(t)
            if isinstance(r, RecordRef) and not r.rec.name:
                key = self.manifest_struct_key
                self.manifest_struct_key = key + "." + fname
                self.manifest.append(("struct", self.manifest_struct_key, self.java_fqn + "$" + fname,
                                      c_owner + "|" + self.c_field_path(c_path, fname)))
                saved = self.java_fqn
                self.java_fqn = saved + "$" + fname
                L.append(self.struct_source(r.rec, fname, nested=True, indent=i + "    ",
                                            c_path=self.c_field_path(c_path, fname), c_owner=c_owner))
                self.java_fqn = saved
                self.manifest_struct_key = key
            elif isinstance(t, Ptr) and isinstance(t.to, Func):
                self.manifest.append(("fnfield", self.manifest_struct_key, fname, self.java_fqn + "$" + fname))
                L.append(i + "    /** Function pointer type of the field {@code %s}. */" % fname)
                L.append(i + "    public static final class %s {" % fname)
                L.append(i + "        private %s() {\n%s        }\n" % (fname, i))
                L.append(self.callback_body(fname, t.to, i + "        ", fname))
                L.append(i + "    }\n")
        L.append(i + "}")
        return "\n".join(L) + ("\n" if not nested else "")

    @staticmethod
    def c_field_path(c_path, fname):
        return "%s.%s" % (c_path, fname) if c_path else fname

    def flatten(self, rec, base):
        """Fields with offsets, anonymous unions flattened (as jextract does); anonymous named-field structs kept."""
        size, align, fields = rec.layout()
        out = []
        for name, t, off in fields:
            if name is None:
                out.extend(self.flatten(resolve(t).rec, base + off))
            else:
                out.append((name, t, base + off))
        return out

    def layout_expr_in_struct(self, t, rec, fname):
        r = resolve(t)
        if isinstance(r, RecordRef) and not r.rec.name:
            return "%s.$LAYOUT()" % fname
        if isinstance(r, Array) and isinstance(resolve(r.of), Array):
            raise ValueError("multi-dimensional arrays are not supported")
        return self.layout_expr(t)

    def group_expr(self, rec, indent):
        size, align, fields = rec.layout()
        parts, off = [], 0
        for name, t, foff in fields:
            if rec.kind == "struct" and foff > off:
                parts.append("MemoryLayout.paddingLayout(%d)" % (foff - off))
            if name is None:
                parts.append(self.group_expr(resolve(t).rec, indent + "    "))
            else:
                parts.append("%s$LAYOUT" % name)
            off = foff + t.size()
        if rec.kind == "struct" and size > off:
            parts.append("MemoryLayout.paddingLayout(%d)" % (size - off))
        fn = "structLayout" if rec.kind == "struct" else "unionLayout"
        inner = (",\n" + indent).join(parts)
        named = ".withName(\"%s\")" % rec.name if rec.name else ""
        return "MemoryLayout.%s(\n%s%s)%s" % (fn, indent, inner, named)

    def field_accessors(self, rec, fname, t, off, i, cls_name):
        r = resolve(t)
        jn = java_name(fname)
        doc = self.comment_for_field(rec.header, fname, rec.line) if rec.header else []
        c = c_spell(t, fname)
        L = []
        L.append(i + "/** {@return the layout of field {@code %s}} */" % fname)
        L.append(i + "public static %s %s$layout() {\n%s    return %s$LAYOUT;\n%s}\n" % (self.layout_class(t), fname,
                                                                                      i, fname, i))
        L.append(i + "private static final long %s$OFFSET = %d;\n" % (fname, off))
        L.append(i + "/** {@return the byte offset of field {@code %s} within the struct} */" % fname)
        L.append(i + "public static long %s$offset() {\n%s    return %s$OFFSET;\n%s}\n" % (fname, i, fname, i))
        text = ["Field {@code %s}." % c] if False else []
        head = self.esc(" ".join(doc)) if doc else ""
        if isinstance(r, Array):
            et = resolve(r.of)
            ejt = self.java_type(r.of)
            elayout = self.layout_expr(r.of)
            L.append(i + "/** {@return the dimensions (element counts) of array field {@code %s}} */" % fname)
            L.append(i + "public static long[] %s$dimensions() {\n%s    return new long[] {%d};\n%s}\n" % (
                fname, i, r.n, i))
            L.append(i + "/**\n%s * Getter for {@code %s}%s: a slice of the struct.\n%s * @param struct the struct\n"
                         "%s * @return the array, {@code %d} elements of {@code %d} bytes\n%s */" % (
                             i, self.esc(c), (" (" + head + ")") if head else "", i, i, r.n, r.of.size(), i))
            L.append(i + "public static MemorySegment %s(MemorySegment struct) {\n%s    return struct.asSlice(%s$OFFSET, "
                         "%s$LAYOUT.byteSize());\n%s}\n" % (jn, i, fname, fname, i))
            L.append(i + "/**\n%s * Setter for {@code %s}: copies the array in.\n%s * @param struct the struct\n"
                         "%s * @param fieldValue {@code %d} elements\n%s */" % (i, self.esc(c), i, i, r.n, i))
            L.append(i + "public static void %s(MemorySegment struct, MemorySegment fieldValue) {\n%s    MemorySegment."
                         "copy(fieldValue, 0L, struct, %s$OFFSET, %s$LAYOUT.byteSize());\n%s}\n" % (
                             jn, i, fname, fname, i))
            if not isinstance(et, RecordRef):
                L.append(i + "/**\n%s * Indexed getter for {@code %s}.\n%s * @param struct the struct\n%s * @param "
                             "index0 element index, in [0, %d)\n%s * @return the element\n%s * @throws "
                             "IndexOutOfBoundsException if the index is out of range\n%s */" % (
                                 i, self.esc(c), i, i, r.n, i, i, i))
                L.append(i + "public static %s %s(MemorySegment struct, long index0) {\n%s    return struct.get(%s, "
                             "%s$OFFSET + Objects.checkIndex(index0, %dL) * %d);\n%s}\n" % (
                                 ejt, jn, i, elayout, fname, r.n, r.of.size(), i))
                L.append(i + "/**\n%s * Indexed setter for {@code %s}.\n%s * @param struct the struct\n%s * @param "
                             "index0 element index, in [0, %d)\n%s * @param fieldValue the element\n%s * @throws "
                             "IndexOutOfBoundsException if the index is out of range\n%s */" % (
                                 i, self.esc(c), i, i, r.n, i, i, i))
                L.append(i + "public static void %s(MemorySegment struct, long index0, %s fieldValue) {\n%s    "
                             "struct.set(%s, %s$OFFSET + Objects.checkIndex(index0, %dL) * %d, fieldValue);\n%s}\n" % (
                                 jn, ejt, i, elayout, fname, r.n, r.of.size(), i))
            return "\n".join(L)
        if isinstance(r, RecordRef):
            L.append(i + "/**\n%s * Getter for {@code %s}%s: a slice of the struct.\n%s * @param struct the struct\n"
                         "%s * @return the nested struct\n%s */" % (i, self.esc(c), (" (" + head + ")") if head else "",
                                                                   i, i, i))
            L.append(i + "public static MemorySegment %s(MemorySegment struct) {\n%s    return struct.asSlice(%s$OFFSET, "
                         "%s$LAYOUT.byteSize());\n%s}\n" % (jn, i, fname, fname, i))
            L.append(i + "/**\n%s * Setter for {@code %s}: copies the nested struct in.\n%s * @param struct the "
                         "struct\n%s * @param fieldValue the nested struct\n%s */" % (i, self.esc(c), i, i, i))
            L.append(i + "public static void %s(MemorySegment struct, MemorySegment fieldValue) {\n%s    MemorySegment."
                         "copy(fieldValue, 0L, struct, %s$OFFSET, %s$LAYOUT.byteSize());\n%s}\n" % (
                             jn, i, fname, fname, i))
            return "\n".join(L)
        jt = self.java_type(t)
        L.append(i + "/**\n%s * Getter for {@code %s}%s.\n%s * @param struct the struct\n%s * @return the field's "
                     "value\n%s */" % (i, self.esc(c), (": " + head) if head else "", i, i, i))
        L.append(i + "public static %s %s(MemorySegment struct) {\n%s    return struct.get(%s$LAYOUT, %s$OFFSET);\n%s}\n"
                 % (jt, jn, i, fname, fname, i))
        L.append(i + "/**\n%s * Setter for {@code %s}.\n%s * @param struct the struct\n%s * @param fieldValue the new "
                     "value\n%s */" % (i, self.esc(c), i, i, i))
        L.append(i + "public static void %s(MemorySegment struct, %s fieldValue) {\n%s    struct.set(%s$LAYOUT, "
                     "%s$OFFSET, fieldValue);\n%s}\n" % (jn, jt, i, fname, fname, i))
        return "\n".join(L)


FILE_HEAD = """// Generated by bindings/generator/gen_bindings.py from llama.cpp's headers (node-llama-cpp %s). Do not edit.
package %%s;

""" % NPM_VERSION

C_LAYOUTS = """    /** C {@code bool}. */
    public static final ValueLayout.OfBoolean C_BOOL = ValueLayout.JAVA_BOOLEAN;
    /** C {@code char}, {@code int8_t}, {@code uint8_t}. */
    public static final ValueLayout.OfByte C_CHAR = ValueLayout.JAVA_BYTE;
    /** C {@code short}, {@code int16_t}, {@code uint16_t}. */
    public static final ValueLayout.OfShort C_SHORT = ValueLayout.JAVA_SHORT;
    /** C {@code int}, {@code int32_t}, {@code uint32_t} and enums. */
    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    /** C {@code long long}, {@code int64_t}, {@code uint64_t}. */
    public static final ValueLayout.OfLong C_LONG_LONG = ValueLayout.JAVA_LONG;
    /** C {@code long} and {@code size_t} (LP64). */
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    /** C {@code float}. */
    public static final ValueLayout.OfFloat C_FLOAT = ValueLayout.JAVA_FLOAT;
    /** C {@code double}. */
    public static final ValueLayout.OfDouble C_DOUBLE = ValueLayout.JAVA_DOUBLE;
    /** Any C pointer; a pointer read through it is unbounded, so {@code getString(0)} works on returned strings. */
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS
            .withTargetLayout(MemoryLayout.sequenceLayout(Long.MAX_VALUE, ValueLayout.JAVA_BYTE));
"""


def read_exclusions(path):
    out = {}
    for raw in path.read_text(encoding="utf-8").split("\n"):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        if not reason.strip():
            raise SystemExit("exclusion without a reason: %s" % line)
        out[name] = reason.strip()
    return out


def int_defines(defines, parser):
    """Object-like integer #defines, evaluated with the values of the defines before them."""
    values, out = {}, []
    for header, line, text in defines:
        m = re.match(r"^(\w+)\s+(.+?)\s*$", text)
        if not m or "(" in m.group(1):
            continue
        name, body = m.group(1), m.group(2)
        body = re.sub(r"//.*$", "", body).strip()
        if not body:
            continue
        toks = re.findall(r"0[xX][0-9A-Fa-f]+[uUlL]*|\d+[uUlL]*|\w+|<<|>>|[-+*/()|&~^]|\S", body)
        expr, ok, unsigned = [], True, False
        for x in toks:
            if x in values:
                expr.append(str(values[x][0]))
                unsigned |= values[x][1]
            elif re.match(r"^(0[xX][0-9A-Fa-f]+|\d+)[uUlL]*$", x):
                digits = re.sub(r"[uUlL]+$", "", x)
                unsigned |= "u" in x.lower() or (digits.lower().startswith("0x") and 0x7FFFFFFF < int(digits, 16)
                                                 <= 0xFFFFFFFF)
                expr.append(digits)
            elif x in ("<<", ">>", "-", "+", "*", "(", ")", "|", "&", "~", "^"):
                expr.append(x)
            elif x == "/":
                expr.append("//")
            else:
                ok = False
                break
        if not ok or not expr:
            continue
        try:
            v = int(eval(" ".join(expr), {"__builtins__": {}}))
        except Exception:
            continue
        values[name] = (v, unsigned)
        out.append((header, name, v, unsigned))
    return out


def main():
    ap = argparse.ArgumentParser()
    home = Path(os.environ.get("WINNOW_HOME", str(Path.home() / ".cache/winnow")))
    ap.add_argument("--include", default=str(home / "llama.cpp" / NPM_VERSION / "include"))
    ap.add_argument("--java-out", default=str(JAVA_OUT), help="where the Java sources go (default: the module's)")
    ap.add_argument("--manifest-out", default=str(TEST_RES / "abi-manifest.tsv"), help="where the manifest goes")
    a = ap.parse_args()
    java_out = Path(a.java_out)
    manifest_out = Path(a.manifest_out)
    include_dir = Path(a.include).resolve()
    tokens, defines = preprocess(include_dir)
    p = Parser(tokens).parse()
    exclusions = read_exclusions(TEST_RES / "llama-exclusions.txt")
    g = Gen(p, include_dir, exclusions)
    g.reached_enums = set()

    funcs = [d for d in p.decls if not d.is_typedef]
    llama_funcs = [d for d in funcs if d.header == "llama.h" and d.exported and d.name not in exclusions]
    unexcluded_deprecated = [d.name for d in llama_funcs if d.deprecated is not None]
    if unexcluded_deprecated:
        raise SystemExit("deprecated functions must be listed in llama-exclusions.txt: %s" % unexcluded_deprecated)
    for d in llama_funcs:
        if d.type.variadic:
            raise SystemExit("variadic function %s must be excluded" % d.name)
    inc = re.compile("^(%s)$" % "|".join(GGML_INCLUDE))
    ggml_funcs = [d for d in funcs if d.header in GGML_CONST_HEADERS and d.exported and inc.match(d.name)
                  and not d.type.variadic and d.deprecated is None]
    seen_names = set()
    ggml_funcs = [d for d in ggml_funcs if not (d.name in seen_names or seen_names.add(d.name))]

    seen = set()
    for d in llama_funcs + ggml_funcs:
        g.reach(d.type, seen)
    for rec in list(p.records.values()):
        if rec.header == "llama.h" and rec.complete():
            g.reach(RecordRef(rec), seen)
    for d in p.decls:
        if d.is_typedef and d.header == "llama.h":
            g.reach(TypedefRef(d.name, d.type), seen)
    g.reach(RecordRef(p.records["struct ggml_tensor"]), seen)

    java_out.mkdir(parents=True, exist_ok=True)
    for old in java_out.glob("*.java"):
        old.unlink()

    defs = int_defines(defines, p)

    def defines_for(headers):
        out = []
        for header, name, v, unsigned in defs:
            if header not in headers:
                continue
            if -2**31 <= v < 2**31:
                out.append((name, v, "int", header))
            elif unsigned and 0 <= v < 2**32:
                out.append((name, v - 2**32, "int", header))
            else:
                out.append((name, v, "long", header))
        return out

    llama_enums = [e for e in p.enums if e[2] == "llama.h"]
    ggml_enums = [e for e in p.enums if e[2] in GGML_CONST_HEADERS or
                  (e[0] in g.reached_enums and e[2] != "llama.h")]

    g.current_header = "llama_h"
    src = g.header_class("llama_h", llama_funcs, llama_enums, defines_for({"llama.h"}), [
        "Static bindings of llama.h (llama.cpp, the release node-llama-cpp %s ships): one method per exported "
        "function, named as in C, each backed by a downcall handle created on first use;" % NPM_VERSION,
        "the constants of llama.h's enums and integer #defines as methods; and the C value layouts (C_INT, "
        "C_POINTER, ...) the struct classes use.",
        "Calling any function loads the native library first (LlamaNative.load()). The ggml, ggml-backend and gguf "
        "functions are in ggml_h.",
        "Invalid arguments can make llama.cpp abort() the process: validate in Java before calling."])
    (java_out / "llama_h.java").write_text(src, encoding="utf-8")
    g.current_header = "ggml_h"
    src = g.header_class("ggml_h", ggml_funcs, ggml_enums, defines_for(GGML_CONST_HEADERS), [
        "Static bindings of the parts of ggml.h, ggml-backend.h and gguf.h that Winnow uses (see GGML_INCLUDE in "
        "bindings/generator/gen_bindings.py): backend registry and devices, tensor metadata and copies, type "
        "sizes, GGUF reading;",
        "and the constants of every enum and integer #define of those headers. Calling any function loads the "
        "native library first (LlamaNative.load())."])
    (java_out / "ggml_h.java").write_text(src, encoding="utf-8")

    (java_out / "package-info.java").write_text(
        "// Generated by bindings/generator/gen_bindings.py. Do not edit.\n"
        "/**\n"
        " * FFM bindings of llama.cpp (node-llama-cpp %s) in jextract's shape: {@link %s.llama_h} (llama.h functions,\n"
        " * enum constants and #defines, the C value layouts), {@link %s.ggml_h} (the ggml, ggml-backend and gguf parts\n"
        " * used), one class per struct ({@code $LAYOUT()}, {@code sizeof()}, {@code allocate}, field accessors and\n"
        " * offsets) and one per function pointer type ({@code Function}, {@code allocate(Function, Arena)},\n"
        " * {@code invoke}). Names are the C names. Checked against the headers by the module's ABI, signature and\n"
        " * coverage tests.\n"
        " */\n"
        "package %s;\n" % (NPM_VERSION, PACKAGE, PACKAGE, PACKAGE), encoding="utf-8")
    for rec, cls in sorted(g.struct_classes.items(), key=lambda kv: kv[1]):
        g.manifest_struct_key = cls
        g.java_fqn = "%s.%s" % (PACKAGE, cls)
        g.manifest.append(("struct", cls, g.java_fqn, "%s %s" % (rec.kind, rec.name)))
        (java_out / (cls + ".java")).write_text(g.struct_source(rec, cls), encoding="utf-8")
    for name, f in sorted(g.callback_typedefs.items()):
        (java_out / (name + ".java")).write_text(g.callback_class(name, f), encoding="utf-8")
        g.manifest.append(("callback", name, "%s.%s" % (PACKAGE, name), ""))

    manifest_out.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest_out, "w", encoding="utf-8") as fh:
        fh.write("# Generated by bindings/generator/gen_bindings.py: what the ABI and coverage tests check.\n")
        fh.write("# struct KEY JAVA_CLASS C_TYPE | field STRUCT_KEY NAME C_PATH | enum NAME CLASS VALUE | "
                 "define NAME CLASS JAVA_TYPE | function NAME CLASS HEADER | callback NAME CLASS | "
                 "fnfield STRUCT_KEY NAME CLASS\n")
        for row in g.manifest:
            fh.write("\t".join(row) + "\n")
    print("llama_h: %d functions, ggml_h: %d functions, %d structs, %d callback types, %d enum constants, "
          "%d defines" % (len(llama_funcs), len(ggml_funcs), len(g.struct_classes), len(g.callback_typedefs),
                          sum(1 for r in g.manifest if r[0] == "enum"), sum(1 for r in g.manifest if r[0] == "define")))


if __name__ == "__main__":
    main()
