"""Mean-field theory of wide random networks (numpy only).

* :mod:`weight_init.theory.mean_field`: the layer-by-layer recursions for a given network
  (:func:`mean_field`, :func:`predict`) and Gaussian expectations (:func:`gaussian_moments`).
* :mod:`weight_init.theory.chaos`: order and chaos: the fixed point ``q*``, ``chi_1``, the
  correlation map and its fixed point ``c*``, the depth scales ``xi_q`` and ``xi_c``;
  :mod:`weight_init.theory.critical`: the critical line.
* :mod:`weight_init.theory.jacobian`: singular values of the input-output Jacobian.
"""

from weight_init.theory.chaos import (
    DepthScales,
    chi1,
    correlation_fixed_point,
    correlation_map,
    depth_scales,
    fixed_point,
)
from weight_init.theory.critical import critical_sigma_w2
from weight_init.theory.jacobian import JacobianSpectrum, jacobian_singular_values, weight_spread
from weight_init.theory.mean_field import (
    DEFAULT_N_QUAD,
    TAIL,
    gaussian_expectation,
    gaussian_moments,
    mean_field,
    predict,
)

__all__ = [
    "gaussian_expectation",
    "gaussian_moments",
    "mean_field",
    "predict",
    "DEFAULT_N_QUAD",
    "TAIL",
    "DepthScales",
    "fixed_point",
    "chi1",
    "correlation_map",
    "correlation_fixed_point",
    "depth_scales",
    "critical_sigma_w2",
    "JacobianSpectrum",
    "jacobian_singular_values",
    "weight_spread",
]
