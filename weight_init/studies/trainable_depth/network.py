"""The fully connected tanh networks of the trainable-depth study, alone or stacked.

One network (Schoenholz et al. 2017, "Deep Information Propagation")::

    x (784) -> [Dense(width) -> tanh] x depth -> Dense(10) -> logits

with every weight ``W^l_ij ~ N(0, sigma_w^2 / N_{l-1})`` (``N_{l-1}`` the layer's fan-in,
:class:`weight_init.initializers.VarianceScaling` with ``scale = sigma_w^2``, untruncated)
and every bias ``b^l_i ~ N(0, sigma_b^2)`` (:class:`weight_init.initializers.RandomNormal`),
the readout layer included. A network is named by ``(depth, sigma_w2, sigma_b2, seed)``;
its weights depend on nothing else (:func:`network_seeds`), so it starts from the same
numbers alone (:func:`build_mlp`, plain ``keras.layers.Dense``) and in a grid.

:func:`build_grid` puts a whole grid into one Keras model. Networks of the same depth are
**stacked**: layer ``l`` of the ``G`` networks of one depth is one ``(G, fan_in, fan_out)``
kernel and one batched matrix product, so a step costs one operation per layer and
depth instead of one per layer and network. Its input is ``(batch, S, 784)``, one image
batch per run seed (each seed its own data order), its output ``(batch, N, 10)``, the
logits of every network. Trained on the summed loss ``sum_k L_k``, the slice of network
``k`` receives exactly ``dL_k / dtheta_k`` (no other term depends on it) and the
optimizers used here update every entry from its own gradient, so each network trains as
it would alone, up to the float rounding of a batched against a plain matrix product.

Keras is imported inside the functions; only ``keras.layers`` and ``keras.ops`` are used,
so the models run on TensorFlow, JAX and torch.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from weight_init.initializers import Constant, RandomNormal, VarianceScaling

__all__ = ["N_INPUTS", "N_CLASSES", "Network", "network_seeds", "initializers", "build_mlp", "build_grid"]

N_INPUTS = 28 * 28
N_CLASSES = 10


@dataclass(frozen=True)
class Network:
    """One network of a grid: ``depth`` hidden tanh layers, its variances and run seed."""

    depth: int
    sigma_w2: float
    sigma_b2: float
    seed: int

    @property
    def label(self) -> str:
        """``'depth=D,sigma_w2=W,sigma_b2=B'`` (``%r`` of the floats: exact)."""
        return f"depth={self.depth},sigma_w2={self.sigma_w2!r},sigma_b2={self.sigma_b2!r}"


def network_seeds(net: Network) -> tuple[int, int]:
    """The seeds of one network's ``(weights, biases)``:
    ``numpy.random.SeedSequence([seed, crc32(label)]).generate_state(2)``, reduced to
    ``[0, 2^31)``; they depend on the network alone, not on its place in a grid."""
    if isinstance(net.seed, bool) or not isinstance(net.seed, (int, np.integer)) or net.seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {net.seed!r}")
    state = np.random.SeedSequence([int(net.seed), zlib.crc32(net.label.encode())]).generate_state(2)
    weights, biases = (int(s) % 2**31 for s in state)
    return weights, biases


def initializers(net: Network) -> tuple[Any, Any]:
    """Keras initializers ``(kernel, bias)`` of one network: ``N(0, sigma_w^2 / fan_in)`` and
    ``N(0, sigma_b^2)`` (zeros for ``sigma_b^2 = 0``), each one generator that advances
    layer by layer (:func:`weight_init.keras_tools.initializer.keras_initializer`)."""
    from weight_init.keras_tools.initializer import keras_initializer

    weight_seed, bias_seed = network_seeds(net)
    kernel = VarianceScaling(net.sigma_w2, "fan_in", "untruncated_normal")
    bias = RandomNormal(std=math.sqrt(net.sigma_b2)) if net.sigma_b2 > 0 else Constant(0.0)
    return keras_initializer(kernel, seed=weight_seed), keras_initializer(bias, seed=bias_seed)


def build_mlp(net: Network, width: int) -> Any:
    """One network as plain ``keras.layers.Dense`` layers: input ``(batch, 784)``, logits
    ``(batch, 10)``; layers ``dense1 .. dense<depth>`` (tanh) and ``logits``."""
    from weight_init._optional import import_keras

    keras = import_keras()
    kernel, bias = initializers(net)
    x = keras.Input((N_INPUTS,), name="image")
    h = x
    for l in range(1, net.depth + 1):
        h = keras.layers.Dense(
            width, activation="tanh", kernel_initializer=kernel, bias_initializer=bias, name=f"dense{l}"
        )(h)
    out = keras.layers.Dense(N_CLASSES, kernel_initializer=kernel, bias_initializer=bias, name="logits")(h)
    return keras.Model(x, out, name=f"mlp_depth{net.depth}")


def _stacked_layer(keras: Any) -> type:
    ops = keras.ops

    class Stacked(keras.initializers.Initializer):
        """``G`` networks' own initializers, one slice each: shape ``(G, *shape)``."""

        def __init__(self, parts: Sequence[Any]) -> None:
            self.parts = list(parts)

        def __call__(self, shape: Any, dtype: Any = None) -> Any:
            return ops.stack([part(tuple(shape[1:]), dtype=dtype) for part in self.parts])

    class StackedMLP(keras.layers.Layer):
        """``G`` networks of one depth side by side; input ``(batch, S, 784)``, network
        ``g`` reads seed ``seed_index[g]``; output ``(batch, G, 10)``."""

        def __init__(self, depth: int, width: int, nets: Sequence[Network], seed_index: Sequence[int], **kw):
            super().__init__(**kw)
            self.depth, self.width = depth, width
            self.seed_index = [int(i) for i in seed_index]
            self.inits = [initializers(net) for net in nets]

        def build(self, input_shape: Any) -> None:
            sizes = [input_shape[-1]] + [self.width] * self.depth + [N_CLASSES]
            self.kernels, self.biases = [], []
            g = len(self.inits)
            for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), 1):
                # Layer by layer, each network draws its kernel and then its bias from its own
                # generators, in the order plain Dense layers draw them (build_mlp).
                name = "logits" if l == len(sizes) - 1 else f"dense{l}"
                self.kernels.append(
                    self.add_weight(
                        shape=(g, n_in, n_out),
                        initializer=Stacked([k for k, _ in self.inits]),
                        name=f"{name}_kernel",
                    )
                )
                self.biases.append(
                    self.add_weight(
                        shape=(g, 1, n_out),
                        initializer=Stacked([_row(b) for _, b in self.inits]),
                        name=f"{name}_bias",
                    )
                )

        def call(self, x: Any) -> Any:
            h = ops.transpose(ops.take(x, self.seed_index, axis=1), (1, 0, 2))  # (G, batch, 784)
            for l, (kernel, bias) in enumerate(zip(self.kernels, self.biases)):
                h = ops.add(ops.matmul(h, kernel), bias)
                if l < self.depth:
                    h = ops.tanh(h)
            return ops.transpose(h, (1, 0, 2))  # (batch, G, 10)

        def compute_output_shape(self, input_shape: Any) -> tuple:
            return (input_shape[0], len(self.inits), N_CLASSES)

    def _row(bias: Any) -> Any:
        """A bias initializer drawing ``(n,)`` for a ``(1, n)`` slice, as Dense draws it."""
        return lambda shape, dtype=None: ops.reshape(bias((shape[-1],), dtype=dtype), shape)

    return StackedMLP


def build_grid(nets: Sequence[Network], width: int, seeds: Sequence[int]) -> Any:
    """All ``nets`` in one model, stacked by depth (see the module's docstring).

    Input ``(batch, len(seeds), 784)``: row ``s`` is the batch of run seed ``seeds[s]``.
    Output ``(batch, len(nets), 10)``: network ``k``'s logits in row ``k``, which start
    from the same weights as ``build_mlp(nets[k], width)``.

    Raises
    ------
    ValueError
        No network, a network twice, or a network whose seed is not in ``seeds``.
    """
    from weight_init._optional import import_keras

    nets, seeds = list(nets), [int(s) for s in seeds]
    if not nets:
        raise ValueError("no network to build; give at least one depth and one sigma_w2")
    if len(set(nets)) != len(nets):
        raise ValueError("every network of a grid must differ in depth, sigma_w2, sigma_b2 or seed")
    missing = sorted({n.seed for n in nets} - set(seeds))
    if missing:
        raise ValueError(f"networks of seed(s) {missing} but no input for them (seeds={seeds})")
    keras = import_keras()
    StackedMLP = _stacked_layer(keras)
    x = keras.Input((len(seeds), N_INPUTS), name="images")
    depths = list(dict.fromkeys(n.depth for n in nets))
    rows, order = [], []
    for depth in depths:
        group = [k for k, n in enumerate(nets) if n.depth == depth]
        layer = StackedMLP(
            depth,
            width,
            [nets[k] for k in group],
            [seeds.index(nets[k].seed) for k in group],
            name=f"depth{depth}",
        )
        rows.append(layer(x))
        order.extend(group)
    out = rows[0] if len(rows) == 1 else keras.layers.Concatenate(axis=1, name="stack")(rows)
    if order != list(range(len(nets))):  # back to the order of ``nets``
        inverse = np.argsort(order)
        out = keras.layers.Lambda(lambda z: keras.ops.take(z, inverse, axis=1), name="order")(out)
    return keras.Model(x, out, name=f"tanh_grid_x{len(nets)}")
