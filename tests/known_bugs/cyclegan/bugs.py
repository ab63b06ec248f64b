"""Known bugs of cyclegan: realistic mistakes, and other correct ways to write the TODOs.

Data only: :class:`gradelib.kit.known_bugs.Bug` says what each entry means, and tests/course/test_known_bugs.py
applies each one to solutions/cyclegan/cyclegan.ipynb and grades it through gradelib's own door. A bug must fail exactly
the tests in ``fails`` (in the groups they name) and pass the other tests of those groups.
"""

from gradelib.kit.known_bugs import Bug

_CYCLE = "return weight * ((cycled_a - real_a).abs().mean() + (cycled_b - real_b).abs().mean())"
_CYCLEGAN_STEP = '''        self.toggle_optimizer(opt_g)
        terms = self.generator_loss(real_a, real_b)
        opt_g.zero_grad()
        self.manual_backward(terms["loss"])
        opt_g.step()
        self.untoggle_optimizer(opt_g)
        # ---- discriminators D_A and D_B ----
        self.toggle_optimizer(opt_d)
        fake_a = self.pool_a.query(terms["fake_a"].detach())
        fake_b = self.pool_b.query(terms["fake_b"].detach())
        loss_d = self.discriminator_loss(real_a, real_b, fake_a, fake_b)
        opt_d.zero_grad()
        self.manual_backward(loss_d)
        opt_d.step()
        self.untoggle_optimizer(opt_d)'''

BUGS: list[Bug] = [
    Bug(
        name="cycle_loss_l2",
        description="the cycle-consistency loss uses squared errors (L2) where it is L1",
        cell="losses",
        edits=[(_CYCLE, "return weight * ((cycled_a - real_a).pow(2).mean() + (cycled_b - real_b).pow(2).mean())")],
        fails=["losses::test_cycle_consistency_loss", "cyclegan::test_generator_loss_terms",
               "cyclegan::test_cycle_loss_reaches_both_generators"],
        message_mentions="squared errors (L2)",
    ),
    Bug(
        name="cycle_loss_one_direction",
        description="the cycle-consistency loss counts only the cycle A -> B -> A",
        cell="losses",
        edits=[(_CYCLE, "return weight * (cycled_a - real_a).abs().mean()")],
        fails=["losses::test_cycle_consistency_loss", "cyclegan::test_generator_loss_terms",
               "cyclegan::test_cycle_loss_reaches_both_generators"],
        message_mentions="only one direction",
    ),
    Bug(
        name="lsgan_targets_swapped",
        description="the LSGAN targets are swapped: real 0, fake 1",
        cell="losses",
        edits=[("target = 1.0 if target_is_real else 0.0", "target = 0.0 if target_is_real else 1.0")],
        fails=["losses::test_lsgan_targets", "pix2pix::test_generator_loss", "pix2pix::test_discriminator_loss",
               "cyclegan::test_generator_loss_terms", "cyclegan::test_discriminator_loss"],
        message_mentions="targets are swapped",
    ),
    Bug(
        name="pool_returns_without_replacing",
        description="a full pool returns a stored image but does not store the new one in its place",
        cell="pool",
        edits=[("                out.append(self.images[k])\n                self.images[k] = image\n",
                "                out.append(self.images[k])\n")],
        fails=["pool::test_full_pool_swaps_with_probability_half"],
        message_mentions="not replaced",
    ),
    Bug(
        name="pool_always_swaps",
        description="a full pool always returns a stored image (probability 1 instead of 1/2)",
        cell="pool",
        edits=[("elif torch.rand(()) < 0.5:", "elif torch.rand(()) < 1.0:")],
        fails=["pool::test_full_pool_swaps_with_probability_half"],
        message_mentions="about half the time",
    ),
    Bug(
        name="fakes_not_detached",
        description="the discriminators are trained on fakes that still carry the generators' graph",
        cell="cyclegan",
        edits=[('fake_a = self.pool_a.query(terms["fake_a"].detach())', 'fake_a = self.pool_a.query(terms["fake_a"])'),
               ('fake_b = self.pool_b.query(terms["fake_b"].detach())', 'fake_b = self.pool_b.query(terms["fake_b"])')],
        fails=["training::test_update_isolation[CycleGAN]", "training::test_schedule_through_lightning"],
        message_mentions="detached fakes",
    ),
    Bug(
        name="identity_feeds_a_to_G",
        description="the identity loss feeds a to G (G: A -> B) instead of b",
        cell="cyclegan",
        edits=[("identity = identity_loss(real_a, self.F(real_a), real_b, self.G(real_b),",
                "identity = identity_loss(real_a, self.F(real_a), real_b, self.G(real_a),")],
        fails=["cyclegan::test_generator_loss_terms"],
        message_mentions="G is fed a",
    ),
    Bug(
        name="generator_adversarial_target_zero",
        description="the generators' LSGAN term pushes D(G(a)) towards 0 (the fake target) instead of 1",
        cell="cyclegan",
        edits=[("adv = lsgan_loss(self.D_B(fake_b), True) + lsgan_loss(self.D_A(fake_a), True)",
                "adv = lsgan_loss(self.D_B(fake_b), False) + lsgan_loss(self.D_A(fake_a), False)")],
        fails=["cyclegan::test_generator_loss_terms"],
        message_mentions="targets are 0",
    ),
    Bug(
        name="cycle_through_detached_fakes",
        description="the cycle reconstructions are computed from detached fakes, so the cycle term trains only the outer generator",
        cell="cyclegan",
        edits=[("cycle = cycle_consistency_loss(real_a, self.F(fake_b), real_b, self.G(fake_a), hp.lambda_cycle)",
                "cycle = cycle_consistency_loss(real_a, self.F(fake_b.detach()), real_b, self.G(fake_a.detach()), hp.lambda_cycle)")],
        fails=["cyclegan::test_cycle_loss_reaches_both_generators"],
        message_mentions="detached",
    ),
    Bug(
        name="no_toggle_zero_grad_after_step",
        description="no toggle_optimizer, and zero_grad after each step: the discriminators' update still holds the "
                    "gradients of the generators' loss",
        cell="cyclegan",
        edits=[(_CYCLEGAN_STEP, '''        terms = self.generator_loss(real_a, real_b)
        self.manual_backward(terms["loss"])
        opt_g.step()
        opt_g.zero_grad()
        # ---- discriminators D_A and D_B ----
        fake_a = self.pool_a.query(terms["fake_a"].detach())
        fake_b = self.pool_b.query(terms["fake_b"].detach())
        loss_d = self.discriminator_loss(real_a, real_b, fake_a, fake_b)
        self.manual_backward(loss_d)
        opt_d.step()
        opt_d.zero_grad()''')],
        fails=["training::test_first_step_gradients_match_reference[CycleGAN]"],
        message_mentions="gradients of the generators' loss are still there",
    ),
    Bug(
        name="schedule_decays_from_start",
        description="the learning rate decays linearly from the first epoch",
        cell="schedule",
        edits=[("return 1.0 - max(0, epoch + 1 - constant_epochs) / (decay_epochs + 1)",
                "return 1.0 - epoch / (constant_epochs + decay_epochs)")],
        fails=["training::test_lr_factor", "training::test_schedule_through_lightning"],
        message_mentions="decays from the start",
    ),
    Bug(
        name="pix2pix_discriminator_without_input",
        description="pix2pix's discriminator sees only the output b, never the input a",
        cell="pix2pix",
        edits=[("self.D = PatchDiscriminator(a_channels + b_channels, 2 * features)",
                "self.D = PatchDiscriminator(b_channels, 2 * features)"),
               ("return self.D(torch.cat([a, b], dim=1))", "return self.D(b)")],
        fails=["pix2pix::test_discriminator_sees_the_pair", "pix2pix::test_generator_loss", "pix2pix::test_discriminator_loss"],
        message_mentions="judges the pair",
    ),
    Bug(
        name="pix2pix_l1_unweighted",
        description="pix2pix's L1 term is not weighted by lambda_l1",
        cell="pix2pix",
        edits=[("l1 = self.hparams.lambda_l1 * (fake_b - real_b).abs().mean()", "l1 = (fake_b - real_b).abs().mean()")],
        fails=["pix2pix::test_generator_loss"],
        message_mentions="not weighted by lambda_l1",
    ),
]

#: Other correct ways to write the TODOs: each must get full marks.
CORRECT_VARIANTS: list[Bug] = [
    Bug(
        name="losses_with_functional",
        description="the three losses with F.mse_loss and F.l1_loss",
        cell="losses",
        edits=[("    target = 1.0 if target_is_real else 0.0\n    return (prediction - target).pow(2).mean()",
                "    target = torch.ones_like(prediction) if target_is_real else torch.zeros_like(prediction)\n"
                "    return F.mse_loss(prediction, target)"),
               (_CYCLE, "return weight * F.l1_loss(cycled_a, real_a) + weight * F.l1_loss(cycled_b, real_b)"),
               ("return weight * ((same_a - real_a).abs().mean() + (same_b - real_b).abs().mean())",
                "return weight * (F.l1_loss(same_a, real_a) + F.l1_loss(same_b, real_b))")],
        also_graded=["losses", "pix2pix", "cyclegan", "quality"],
    ),
    Bug(
        name="pool_with_python_random",
        description="the image pool drawn with Python's random module, cloning what it stores",
        cell="pool",
        edits=[('''        out = []
        for image in images:
            if len(self.images) < self.pool_size:
                self.images.append(image)
                out.append(image)
            elif torch.rand(()) < 0.5:
                k = int(torch.randint(len(self.images), ()))
                out.append(self.images[k])
                self.images[k] = image
            else:
                out.append(image)
        return torch.stack(out)''', '''        import random

        returned = []
        for image in images.unbind(0):
            image = image.clone()
            if len(self.images) < self.pool_size:
                self.images.append(image)
                returned.append(image)
                continue
            if random.random() > 0.5:
                returned.append(image)
                continue
            k = random.randrange(self.pool_size)
            returned.append(self.images[k].clone())
            self.images[k] = image
        return torch.stack(returned, dim=0)''')],
        also_graded=["pool", "training", "quality"],
    ),
    Bug(
        name="schedule_as_min",
        description="lr_factor as min(1, (Ec + Ed - e) / (Ed + 1)), the same numbers written from the end",
        cell="schedule",
        edits=[("return 1.0 - max(0, epoch + 1 - constant_epochs) / (decay_epochs + 1)",
                "return min(1.0, (constant_epochs + decay_epochs - epoch) / (decay_epochs + 1))")],
        also_graded=["training"],
    ),
    Bug(
        name="cyclegan_step_written_differently",
        description="CycleGAN's optimisers zeroed with set_to_none, the fakes detached once, schedulers as a plain list",
        cell="cyclegan",
        edits=[("        return [opt_g, opt_d], [{\"scheduler\": s, \"interval\": \"epoch\"} for s in schedules]\n        ### END SOLUTION",
                "        return [opt_g, opt_d], schedules\n        ### END SOLUTION"),
               ("        opt_g.zero_grad()\n        self.manual_backward(terms[\"loss\"])",
                "        opt_g.zero_grad(set_to_none=True)\n        self.manual_backward(terms[\"loss\"])"),
               ("        fake_a = self.pool_a.query(terms[\"fake_a\"].detach())\n        fake_b = self.pool_b.query(terms[\"fake_b\"].detach())",
                "        fake_a, fake_b = (terms[key].detach() for key in (\"fake_a\", \"fake_b\"))\n"
                "        fake_a, fake_b = self.pool_a.query(fake_a), self.pool_b.query(fake_b)")],
        also_graded=["cyclegan", "training", "quality"],
    ),
]
