"""Settings of tinygrad_edu written as text, ``MODULE.ATTR=VALUE`` joined by commas: the
arms of bench_settings.py and the ``BENCH_SETTINGS`` variable of bench_side_by_side.py's
workers (a module of its own, so that neither script imports the other)."""
import ast
import importlib


def parse_arm(text):
    """'ops.conv.PARALLEL_BYTES=1048576,threads._num_threads=1' -> [(module, attr, value)],
    checking that each module and attribute exists. Semicolons may stand for the commas
    (bench_side_by_side.py's ``--variant`` splits its own list at commas)."""
    settings = []
    for item in text.replace(";", ",").split(","):
        name, sep, literal = item.partition("=")
        module_name, _, attr = name.strip().rpartition(".")
        if not sep or not module_name or not attr:
            raise ValueError(f"module_settings: an arm's setting must be MODULE.ATTR=VALUE, got {item!r}")
        module = importlib.import_module("tinygrad_edu." + module_name)
        if not hasattr(module, attr):
            raise ValueError(f"module_settings: tinygrad_edu.{module_name} has no attribute {attr!r}")
        try:
            value = ast.literal_eval(literal.strip())
        except (ValueError, SyntaxError):
            raise ValueError(f"module_settings: {name.strip()}={literal!r}: the value must be a Python literal") from None
        settings.append((module, attr, value))
    return settings
