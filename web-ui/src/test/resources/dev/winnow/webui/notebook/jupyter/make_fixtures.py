"""Writes the notebooks NbformatRoundTripTest reads, with Jupyter's own writer (nbformat.write).

Run with an nbformat 5.x installation (Debian: apt-get install python3-nbformat):
    /usr/bin/python3 make_fixtures.py
The fixtures were written with nbformat 5.5.0 and are committed; the test does not need Python.
"""
import nbformat
from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell, new_raw_cell, new_output

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

def write(nb, name):
    for i, c in enumerate(nb.cells):
        c.id = "cell-%d" % i  # stable ids: the fixtures do not change when regenerated
    nbformat.validate(nb)
    nbformat.write(nb, name)

nb = new_notebook(metadata={
    "kernelspec": {"name": "winnow-python", "display_name": "Python (Winnow)", "language": "python"},
    "language_info": {"name": "python", "file_extension": ".py"},
    "zeta": {"ünïcode": "→ 東京 🎉", "float": 0.1, "small": 1e-05, "big": 1e16, "whole": 300.0, "neg": -2.5e-7,
             "ints": [0, -1, 12345678901234], "flags": [True, False, None], "empty": {}, "none": []},
})
nb.cells = [
    new_markdown_cell("# Title\n\nA table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n$e^{i\\pi} + 1 = 0$ and ![dot](attachment:dot.png)",
                      attachments={"dot.png": {"image/png": PNG}, "note.txt": {"text/plain": "line one\nline two\n"}}),
    new_code_cell("import winnow\r\nx = 1\ty = 2\n\n# unicode: naïve café 🎉\nprint('a\\u2028b')\nlast line without newline",
                  execution_count=3,
                  outputs=[
                      new_output("stream", name="stdout", text="one\ntwo\n\nthree"),
                      new_output("stream", name="stderr", text="warning: \x1b[31mred\x1b[0m\n"),
                      new_output("display_data", data={
                          "text/html": "<table>\n<tr><td>1</td></tr>\n</table>",
                          "text/plain": "table\nwith lines",
                          "image/svg+xml": "<svg xmlns=\"http://www.w3.org/2000/svg\">\n<rect/>\n</svg>\n",
                          "image/png": PNG,
                          "application/json": {"list": ["a\n", "b"], "n": 1.5},
                          "application/vnd.vegalite.v5+json": {"mark": "bar", "data": {"values": [{"x": 1, "y": 0.25}]}},
                      }, metadata={"image/png": {"width": 300, "height": 200}}),
                      new_output("execute_result", data={"text/plain": "42"}, execution_count=3),
                      new_output("error", ename="ValueError", evalue="bad \"value\"\ttab",
                                 traceback=["\x1b[0;31mValueError\x1b[0m: bad", "line\x07bell\x0bvt\x0cff"]),
                  ]),
    new_code_cell("", metadata={"winnow": {"language": "js"}, "tags": ["b", "a"], "collapsed": False}),
    new_raw_cell("raw\u2029text\x1cgroup\x85nel\r"),
    new_markdown_cell(""),
]
write(nb, "rich.ipynb")

js = new_notebook(metadata={
    "kernelspec": {"name": "winnow-js", "display_name": "JavaScript (Winnow)", "language": "javascript"},
    "language_info": {"name": "javascript", "file_extension": ".js"},
})
js.cells = [new_code_cell("const coll = winnow.collection('scifact');\ncoll.size()", execution_count=1,
                          outputs=[new_output("execute_result", data={"text/plain": "300"}, execution_count=1)]),
            new_code_cell("")]
write(js, "plain-js.ipynb")
