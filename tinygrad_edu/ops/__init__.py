"""The ops: one module per op family, each op a ``Function`` with a hand-written backward.

``elementwise``  arithmetic and math functions       ``compare``  comparisons, rounding
``activation``   relu, gelu, ...                      ``softmax``  softmax, log_softmax
``reduce``       sum, mean, var, max, logsumexp, ...   ``matmul``   matmul, linear
``shape``        reshape, permute, cat, split, ...    ``index``    x[key]
``inplace``      add_, mul_, x[key] = v, ...          ``convert``  dtype/device changes
``loss``         mse, cross-entropy, ...              ``pad``      F.pad
``conv``         conv2d, conv_transpose2d, conv1d     ``pool``     max/avg/adaptive pooling
``upsample``     interpolate                          ``norm``     batch/layer/rms/group/instance norm
"""
