"""What the tests, ``tinygrad-edu gradcheck`` and exercise graders share.

``op_table``     every differentiable op with its input shapes, value domains and NumPy
                 reference: the CLI gradchecks it, the tests check forwards and backwards
``references``   the ops written plainly in NumPy (float64), to compare forwards with
``strategies``   hypothesis strategies: shapes (size-1 dims, broadcasting), arrays that
                 keep away from kinks, leaves, non-contiguous copies (needs hypothesis,
                 a test dependency, so it is not imported here)

This package sits above ``nn`` (the table calls ``nn.functional``); nothing below
imports it.
"""
