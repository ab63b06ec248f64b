"""Hidden tests of Part 5: CycleGAN's generator and discriminator losses on the reference's weights, and where the
cycle term sends its gradients."""

import pytest
import torch
from cyclegan_helpers import close, domains, scalar, twin

from gradelib.checks import CheckFailure
from gradelib.sandbox.expr import MODEL, Var, X, method
from gradelib.sandbox.probes_gan import term_gradients


def _l1(x, y):
    return float((x - y).abs().mean())


@pytest.mark.points(4)
def test_generator_loss_terms(submission, reference):
    """Do CycleGAN's generator_loss terms (LSGAN towards 1, cycle, identity with b fed to G) match the reference?"""
    model, ref = twin(submission, reference, "CycleGAN")
    a, b, _ = domains(4, seed=4)
    found = model.generator_loss(a, b)
    expected = ref.generator_loss(a, b)
    missing = [key for key in ("loss", "adv", "cycle", "identity", "fake_a", "fake_b") if key not in found]
    if missing:
        raise CheckFailure(f"generator_loss should return a dict with loss, adv, cycle, identity, fake_a, fake_b; {missing} are missing.")
    with torch.no_grad():
        G, Fn, DA, DB = ref.G, ref.F, ref.D_A, ref.D_B
        Ga, Fb = G(a), Fn(b)
        alternatives = {
            "adv": [(float(DB(Ga).pow(2).mean() + DA(Fb).pow(2).mean()),
                     "the targets are 0: the generators want their fakes scored as real, target 1 (lsgan_loss(D_B(G(a)), True)).")],
            "cycle": [(10 * _l1(Fn(Ga), a), "only the cycle of A is counted: add |G(F(b)) - b|."),
                      (10 * _l1(G(Fb), b), "only the cycle of B is counted: add |F(G(a)) - a|."),
                      (10 * float((Fn(Ga) - a).pow(2).mean() + (G(Fb) - b).pow(2).mean()),
                       "the cycle loss is squared (L2); it is L1.")],
            "identity": [(5 * (_l1(Fn(a), a) + _l1(G(a), b)),
                          "G is fed a: G maps A -> B, so its identity term shows it an image of B: |G(b) - b|."),
                         (5 * (_l1(G(a), a) + _l1(Fn(b), b)),
                          "the generators are swapped: the identity terms are |F(a) - a| and |G(b) - b|."),
                         (10 * (_l1(Fn(a), a) + _l1(G(b), b)), "the identity weight is 0.5 * lambda_cycle = 5, not lambda.")],
        }
    for key in ("adv", "cycle", "identity", "loss"):
        f, e = scalar(found[key], f"generator_loss(...)['{key}']"), float(expected[key])
        if close(f, e):
            continue
        cause = next((text for value, text in alternatives.get(key, []) if close(f, value)),
                     {"adv": "lsgan_loss(D_B(G(a)), True) + lsgan_loss(D_A(F(b)), True).",
                      "cycle": "cycle_consistency_loss(a, F(G(a)), b, G(F(b)), lambda_cycle).",
                      "identity": "identity_loss(a, F(a), b, G(b), lambda_identity * lambda_cycle).",
                      "loss": "loss = adv + cycle + identity."}[key])
        raise CheckFailure.build(f"generator_loss(a, b)['{key}'] on the reference's weights", expected=f"{e:.5f}",
                                 found=f"{f:.5f}", cause=cause)
    if not torch.allclose(torch.as_tensor(found["fake_b"]), expected["fake_b"].detach(), atol=1e-4):
        raise CheckFailure("generator_loss(a, b)['fake_b'] should be G(a) (and 'fake_a' F(b)).")


@pytest.mark.points(2)
def test_discriminator_loss(submission, reference):
    """Is CycleGAN's discriminator loss the halved LSGAN loss of D_A plus that of D_B, on the fakes given?"""
    model, ref = twin(submission, reference, "CycleGAN")
    a, b, fake_b = domains(4, seed=5)
    fake_a = domains(4, seed=6)[0]
    f = scalar(model.discriminator_loss(a, b, fake_a, fake_b), "discriminator_loss")
    e = float(ref.discriminator_loss(a, b, fake_a, fake_b))
    if not close(f, e):
        with torch.no_grad():
            ra, fa, rb, fb = ref.D_A(a), ref.D_A(fake_a), ref.D_B(b), ref.D_B(fake_b)
            swapped = 0.5 * float(ra.pow(2).mean() + (fa - 1).pow(2).mean() + rb.pow(2).mean() + (fb - 1).pow(2).mean())
            crossed = 0.5 * float((ra - 1).pow(2).mean() + ref.D_A(fake_b[:, :3]).pow(2).mean()
                                  + (rb - 1).pow(2).mean() + ref.D_B(fake_a).pow(2).mean())
        if close(f, swapped):
            cause = "the targets are swapped: real images have target 1, fakes 0."
        elif close(f, 2 * e):
            cause = "the loss is not halved: 0.5 * (real term + fake term) for each discriminator."
        elif close(f, crossed):
            cause = "D_A judges images of A (real a and F(b)); D_B judges images of B (real b and G(a))."
        else:
            cause = "0.5 * (lsgan(D_A(a), True) + lsgan(D_A(fake_a), False)) + the same for D_B with b and fake_b."
        raise CheckFailure.build("discriminator_loss(a, b, fake_a, fake_b) on the reference's weights",
                                 expected=f"{e:.5f}", found=f"{f:.5f}", cause=cause)


@pytest.mark.points(3)
def test_cycle_loss_reaches_both_generators(submission, reference):
    """Does the cycle term send the reference's gradients into both generators G and F (and none into the discriminators)?"""
    model, ref = twin(submission, reference, "CycleGAN")
    a, b, _ = domains(4, seed=7)
    expression = method(MODEL, "generator_loss", X, Var("y"))
    report = term_gradients(model, expression, "cycle", {"x": a, "y": b})
    if report["error"]:
        raise CheckFailure(f"generator_loss(a, b): {report['error']}.")
    norms, expected = report["norms"], term_gradients(ref, expression, "cycle", {"x": a, "y": b})["norms"]
    for net, text in (("G.", "G (A -> B)"), ("F.", "F (B -> A)")):
        names = [name for name in expected if name.startswith(net)]
        got = sum(norms.get(name, 0.0) ** 2 for name in names) ** 0.5
        want = sum(expected[name] ** 2 for name in names) ** 0.5
        if not abs(got - want) <= 1e-3 * max(1e-3, want):
            raise CheckFailure.build(
                f"the gradient of generator_loss(a, b)['cycle'] in {text}'s parameters (reference weights)",
                expected=f"norm {want:.5f}: each cycle F(G(a)) and G(F(b)) passes through both generators",
                found=f"norm {got:.5f}",
                cause=("a fake is detached (or computed under no_grad) before the second generator of a cycle: use "
                       "F(G(a)) and G(F(b)) with their graphs." if got < want else
                       "the cycle term differs from formula (4): L1 of both cycles, weight lambda_cycle."))
    leaked = sorted(name for name, v in norms.items() if name.startswith("D_") and v > 0)
    if leaked:
        raise CheckFailure(f"The cycle term sends gradients into the discriminators ({leaked[:3]}): it involves G and F only.")
