# Winnow's Python prelude (GraalPy, Python 3.12): evaluated once per context before any cell (file name "<winnow-prelude>").
# It defines the builtins display(value, mime=None), WinnowError and tolist(view), and returns the helpers the host
# calls; the `winnow` object is attached (as a builtin) when a session takes the context.
def __winnow_prelude():
    import base64
    import builtins
    import json
    import linecache
    import sys
    import traceback

    prelude_file = "<winnow-prelude>"
    state = {"bridge": None}

    class WinnowError(Exception):
        """An error reported by Winnow's host API: bad input, a missing file, a model that failed to load."""

    WinnowError.__module__ = "builtins"
    builtins.WinnowError = WinnowError

    def display(value, mime=None):
        """Shows a value as a rich output: display(obj), display('<b>hi</b>', 'text/html'), display(png_bytes, 'image/png')."""
        if state["bridge"] is None:
            raise RuntimeError("display() is not available outside a cell")
        if isinstance(value, (bytes, bytearray)):
            value = base64.b64encode(bytes(value)).decode("ascii")
            if mime is None:
                raise ValueError("display(bytes) needs a MIME type, e.g. display(data, 'image/png')")
            state["bridge"].displayBase64(value, mime)
            return
        state["bridge"].display(value, mime)

    builtins.display = display

    def tolist(view):
        """Copies a Winnow sequence view (tensor values, attention rows) into a Python list."""
        return list(view)

    builtins.tolist = tolist

    reprs = (
        ("_repr_html_", "text/html"),
        ("_repr_markdown_", "text/markdown"),
        ("_repr_svg_", "image/svg+xml"),
        ("_repr_png_", "image/png"),
        ("_repr_jpeg_", "image/jpeg"),
        ("_repr_json_", "application/json"),
    )

    def render(value):
        if value is None:
            return None
        bundle = {}
        for method, mime in reprs:
            f = getattr(type(value), method, None)
            if f is None:
                continue
            r = f(value)
            if r is None:
                continue
            if isinstance(r, (bytes, bytearray)):
                r = base64.b64encode(bytes(r)).decode("ascii")
            elif mime == "application/json" and not isinstance(r, str):
                r = json.dumps(r)
            bundle[mime] = str(r)
        bundle["text/plain"] = repr(value)
        return bundle

    def raise_(kind, message):
        raise WinnowError(message)

    def attach(bridge, winnow):
        state["bridge"] = bridge
        builtins.winnow = winnow

    def register(name, code):
        lines = code.splitlines(True)
        linecache.cache[name] = (len(code), None, lines, name)

    def flush():
        for s in (sys.stdout, sys.stderr):
            try:
                s.flush()
            except Exception:
                pass

    def describe(exc, source_name):
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != prelude_file]
        own = [f for f in frames if f.filename == source_name]
        text = ""
        if frames:
            text = "Traceback (most recent call last):\n" + "".join(traceback.StackSummary.from_list(frames).format())
        text += "".join(traceback.format_exception_only(type(exc), exc))
        where = own or frames
        file, line = (where[-1].filename, where[-1].lineno) if where else (None, -1)
        if isinstance(exc, SyntaxError):
            file, line = exc.filename, exc.lineno or -1
        message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        return (type(exc).__name__, message, file, -1 if line is None else line, text)

    return (render, raise_, attach, register, flush, describe)
