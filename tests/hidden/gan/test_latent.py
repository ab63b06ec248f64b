"""Hidden tests of Part 7: interpolation in the latent space, and the class-conditional networks (the label must
change what they compute, as the reference's do on the same weights)."""

import pytest
import torch
from gan_helpers import twin

from gradelib.checks import CheckFailure


def _endpoints(seed: int, dim: int = 7) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(dim, generator=generator), torch.randn(dim, generator=generator)


def _path(submission, z0, z1, num_steps: int, spherical: bool) -> torch.Tensor:
    found = torch.as_tensor(submission.interpolate(z0, z1, num_steps, spherical=spherical))
    if found.shape != (num_steps, z0.shape[0]):
        raise CheckFailure.build(f"interpolate(z0, z1, {num_steps}, spherical={spherical}) for z of dimension {z0.shape[0]}",
                                 expected=f"shape ({num_steps}, {z0.shape[0]})", found=f"shape {tuple(found.shape)}",
                                 cause="one row per step: t as a column of shape (num_steps, 1).")
    return found.double()


@pytest.mark.points(2)
def test_linear_interpolation(submission):
    """Does interpolate give (1 - t) z0 + t z1 at t = j / (num_steps - 1), both ends included?"""
    z0, z1 = _endpoints(0)
    for num_steps in (6, 2):
        t = torch.linspace(0, 1, num_steps, dtype=torch.float64)[:, None]
        expected = (1 - t) * z0.double() + t * z1.double()
        found = _path(submission, z0, z1, num_steps, False)
        if not torch.allclose(found, expected, atol=1e-5):
            excluded = torch.allclose(found, (1 - t * (num_steps - 1) / num_steps) * z0.double()
                                      + t * (num_steps - 1) / num_steps * z1.double(), atol=1e-5)
            raise CheckFailure.build(f"interpolate(z0, z1, {num_steps}) (linear)", expected="rows z0, ..., z1 evenly spaced",
                                     found="the last row is not z1" if excluded else "other points",
                                     cause="t_j = j / (num_steps - 1), so that both ends are included "
                                           "(torch.linspace(0, 1, num_steps)).")


@pytest.mark.points(2)
def test_spherical_interpolation(submission):
    """Does interpolate(..., spherical=True) follow formula (11), keeping the norm between two points of equal norm?"""
    z0, z1 = _endpoints(1)
    z1 = z1 * z0.norm() / z1.norm()  # equal norms
    for a, b in ((z0, z1), (z0, 2 * z1)):
        t = torch.linspace(0, 1, 7, dtype=torch.float64)[:, None]
        a64, b64 = a.double(), b.double()
        omega = torch.arccos(a64 @ b64 / (a64.norm() * b64.norm()))
        expected = (torch.sin((1 - t) * omega) * a64 + torch.sin(t * omega) * b64) / torch.sin(omega)
        found = _path(submission, a, b, 7, True)
        if not torch.allclose(found, expected, atol=1e-4):
            linear = torch.allclose(found, (1 - t) * a64 + t * b64, atol=1e-4)
            raise CheckFailure.build("interpolate(z0, z1, 7, spherical=True)", expected="formula (11)",
                                     found="the linear interpolation" if linear else "other points",
                                     cause="slerp: (sin((1 - t) w) z0 + sin(t w) z1) / sin(w), cos w = z0.z1 / (|z0| |z1|).")


def _label_changes_output(model, call_with) -> bool:
    outputs = [torch.as_tensor(call_with(torch.full((4,), label, dtype=torch.long))) for label in (0, 3, 7)]
    return not all(torch.allclose(outputs[0], other, atol=1e-6) for other in outputs[1:])


@pytest.mark.points(2)
def test_conditional_generator_uses_the_label(submission, reference):
    """Does ConditionalGenerator draw from [z, onehot(y)] (the label changes the image; the reference's images on the same weights)?"""
    model, ref = twin(submission, reference, "ConditionalGenerator", 5, 4)
    z = torch.randn(4, 5, generator=torch.Generator().manual_seed(2))
    if not _label_changes_output(model, lambda y: model(z, y)):
        raise CheckFailure.build("ConditionalGenerator(5, 4) with the same z and the labels 0, 3 and 7",
                                 expected="three different images", found="the same images: the label is ignored",
                                 cause="concatenate F.one_hot(y, num_classes) to z before the DCGAN generator.")
    y = torch.tensor([0, 3, 7, 9])
    found, expected = torch.as_tensor(model(z, y)), ref(z, y).detach()
    if found.shape != (4, 1, 28, 28) or not torch.allclose(found, expected, atol=1e-4):
        raise CheckFailure.build("ConditionalGenerator(5, 4) on 4 latent points and labels", expected="the reference's "
                                 "images on the same weights, (4, 1, 28, 28)", found=f"shape {tuple(found.shape)}"
                                 + ("" if found.shape != (4, 1, 28, 28) else ", other values"),
                                 cause="the input is torch.cat([z, onehot(y)], dim=1): z first, then the 10 label entries.")


@pytest.mark.points(2)
def test_conditional_discriminator_uses_the_label(submission, reference):
    """Does ConditionalDiscriminator judge the pair (x, y), the label as 10 constant channels after the image (the reference's logits on the same weights)?"""
    model, ref = twin(submission, reference, "ConditionalDiscriminator", 4)
    x = torch.randn(4, 1, 28, 28, generator=torch.Generator().manual_seed(3))
    if not _label_changes_output(model, lambda y: model(x, y)):
        raise CheckFailure.build("ConditionalDiscriminator(4) on the same images with the labels 0, 3 and 7",
                                 expected="different logits", found="the same: the label is ignored",
                                 cause="concatenate the one-hot label, as 10 constant (H, W) maps, to the image channels.")
    y = torch.tensor([1, 2, 5, 9])
    found, expected = torch.as_tensor(model(x, y)), ref(x, y).detach()
    if found.shape != (4,) or not torch.allclose(found, expected, atol=1e-4):
        raise CheckFailure.build("ConditionalDiscriminator(4) on 4 images and labels", expected="the reference's logits "
                                 "on the same weights, shape (4,)", found=f"shape {tuple(found.shape)}"
                                 + ("" if found.shape != (4,) else ", other values"),
                                 cause="torch.cat([x, label maps], dim=1): the image first, then the 10 label channels.")
