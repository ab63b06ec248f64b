"""Formulas for pages read offline: TeX in Markdown becomes inline SVG pictures (matplotlib's mathtext).

The feedback page nbgrader writes loads MathJax from a CDN, so offline (or where scripts are blocked)
a student reads raw TeX. :func:`render_markdown_math` replaces each ``$...$`` and ``$$...$$`` of a
Markdown text with an ``<img>`` holding the formula drawn by matplotlib's mathtext (no network, no
LaTeX installation); its ``alt`` text is the TeX. Mathtext knows most of what the notebooks write; a
few commands it lacks are rewritten first (``\\tag``, ``\\big``, ``\\tfrac``, ``\\le``, ...). A
formula it still cannot draw is shown as plain text (Greek letters and operators as Unicode) in a
``<code>`` element, never as raw ``$...$``. Code spans and fenced code are left alone.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import re

__all__ = ["render_markdown_math", "render_formula", "plain_text_formula", "MATH_CLASS"]

MATH_CLASS = "gradelib-math"
_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)
_MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$([^$\n]+?)\$(?!\$)", re.S)
_REWRITES = [
    (re.compile(r"\\tag\{([^}]*)\}"), r"\\qquad(\1)"),
    (re.compile(r"\\(?:big|Big|bigg|Bigg)[lrm]?(?![a-zA-Z])"), ""),
    (re.compile(r"\\[dt]frac(?![a-zA-Z])"), r"\\frac"),
    (re.compile(r"\\frac\s*(\w)\s*(\w)"), r"\\frac{\1}{\2}"),
    (re.compile(r"\\le(?![a-zA-Z])"), r"\\leq"),
    (re.compile(r"\\ge(?![a-zA-Z])"), r"\\geq"),
    (re.compile(r"\\operatorname\*?\{([^}]*)\}"), r"\\mathrm{\1}"),
    (re.compile(r"\\text\{([^}]*)\}"), lambda m: r"\mathrm{" + m.group(1).replace(" ", r"\ ") + "}"),
    (re.compile(r"\\(?:displaystyle|textstyle|nonumber|notag)(?![a-zA-Z])"), ""),
    (re.compile(r"\\(?:begin|end)\{(?:aligned|align\*?|split|gathered)\}"), ""),
    (re.compile(r"\\\\|&"), " "),
]
_UNICODE = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "theta": "θ",
    "lambda": "λ", "mu": "μ", "pi": "π", "sigma": "σ", "tau": "τ", "phi": "φ", "psi": "ψ", "omega": "ω",
    "ell": "ℓ", "Sigma": "Σ", "sum": "Σ", "prod": "Π", "int": "∫", "infty": "∞", "le": "≤", "leq": "≤",
    "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "mid": "|", "cdot": "·", "times": "×",
    "odot": "⊙", "in": "∈", "to": "→", "sim": "~", "nabla": "∇", "partial": "∂", "dots": "…", "ldots": "…",
    "cdots": "⋯", "star": "*", "log": "log", "exp": "exp", "min": "min", "max": "max", "qquad": "  ",
    "quad": " ",
}


def render_markdown_math(text: str) -> str:
    """The Markdown text with every formula (outside code) replaced by an inline picture or plain text."""
    pieces = _CODE.split(text)
    for index in range(0, len(pieces), 2):  # even pieces are outside code
        pieces[index] = _MATH.sub(_replace, pieces[index])
    return "".join(pieces)


def _replace(match: re.Match) -> str:
    display = match.group(1) is not None
    tex = " ".join((match.group(1) if display else match.group(2)).split())
    picture = render_formula(tex)
    if picture is None:
        element = f'<code class="{MATH_CLASS}-text">{html.escape(plain_text_formula(tex))}</code>'
    else:
        element = (f'<img class="{MATH_CLASS}" style="vertical-align: middle" alt="{html.escape(tex, quote=True)}" '
                   f'src="data:image/svg+xml;base64,{picture}">')
    if display:
        return f'<span class="{MATH_CLASS}-display" style="display: block; text-align: center">{element}</span>'
    return element


@functools.lru_cache(maxsize=4096)
def render_formula(tex: str, size: float = 13.0) -> str | None:
    """The formula drawn by mathtext as base64 SVG, or None when mathtext cannot draw it."""
    from matplotlib import mathtext
    from matplotlib.font_manager import FontProperties

    for rewrite, replacement in _REWRITES:
        tex = rewrite.sub(replacement, tex)
    buffer = io.BytesIO()
    try:
        mathtext.math_to_image(f"${tex}$", buffer, format="svg", prop=FontProperties(size=size))
    except Exception:  # noqa: BLE001 - mathtext raises parse errors of several kinds; any means "cannot draw"
        return None
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plain_text_formula(tex: str) -> str:
    """A readable plain-text form of a formula: commands as Unicode or words, braces and spacing dropped."""
    text = re.sub(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"(\1)/(\2)", tex)
    text = re.sub(r"\\tag\{([^}]*)\}", r"   (\1)", text)
    text = re.sub(r"\\(?:mathrm|mathbf|mathcal|mathbb|text|operatorname)\{([^{}]*)\}", r"\1", text)
    text = re.sub(r"\\([a-zA-Z]+)", lambda m: _UNICODE.get(m.group(1), "" if m.group(1).startswith(
        ("big", "Big", "left", "right")) else m.group(1)), text)
    text = re.sub(r"\\[,;:! ]", " ", text).replace("\\|", "‖").replace("{", "").replace("}", "")
    return " ".join(text.split())
