"""A script of benchmarks/ imported as a module, for the tests of its functions: with
benchmarks/ on the path while it imports, as the scripts import each other from there."""
import importlib
import os
import sys

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")


def load(name):
    """benchmarks/<name>.py as a module."""
    sys.path.insert(0, BENCHMARKS)
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(BENCHMARKS)
