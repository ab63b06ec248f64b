"""Known bugs of style_transfer: realistic mistakes, and other correct ways to write the TODOs.

Data only: :class:`gradelib.kit.known_bugs.Bug` says what each entry means, and tests/course/test_known_bugs.py
applies each one to solutions/style_transfer/style_transfer.ipynb and grades it through gradelib's own door. A bug
must fail exactly the tests in ``fails`` (in the groups they name) and pass the other tests of those groups.
"""

from gradelib.kit.known_bugs import Bug

_GRAM = "    return flat @ flat.transpose(1, 2) / (C * H * W)"
_FGSM_STEP = "    return (x + epsilon * grad.sign()).clamp(0, 1).detach()"
_LBFGS = "            return torch.optim.LBFGS([self.image], lr=hp.learning_rate, max_iter=hp.max_iter)"
_NAMES_LOOP = '''        elif isinstance(module, nn.ReLU):
            names.append(f"relu{block}_{conv}")
        elif isinstance(module, nn.MaxPool2d):
            names.append(f"pool{block}")
            block, conv = block + 1, 0'''
_KEEP = '''        self.names = names[: last + 1]
        self.vgg = vgg[: last + 1]'''
_BUFFERS = '''        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))'''
_NORMALISE = "        x = (images - self.mean) / self.std"

BUGS: list[Bug] = [
    # ---------------------------------------------------------------- Part 1: layers and the extractor
    Bug(
        name="block_every_two_convolutions",
        description="layer_names assumes two convolutions per block (VGG's first blocks), so 'relu4_2' is relu3_4: "
                    "content from the wrong layer",
        cell="features",
        edits=[(_NAMES_LOOP, '''        elif isinstance(module, nn.ReLU):
            names.append(f"relu{block}_{conv}")
            if conv == 2:  # every block has two convolutions
                block, conv = block + 1, 0
        elif isinstance(module, nn.MaxPool2d):
            names.append(f"pool{block}")''')],
        fails=["features::test_layer_names", "features::test_extractor_matches_reference"],
        message_mentions="blocks 3 to 5 have four convolutions",
    ),
    Bug(
        name="no_imagenet_normalisation",
        description="the extractor feeds the images to VGG-19 without ImageNet's mean and standard deviation",
        cell="features",
        edits=[(_NORMALISE, "        x = images")],
        fails=["features::test_extractor_matches_reference", "features::test_gradients_reach_the_pixels"],
        message_mentions="not normalised",
    ),
    Bug(
        name="vgg_left_trainable",
        description="the extractor never freezes VGG-19: its weights still require gradients",
        cell="features",
        edits=[("        self.vgg.requires_grad_(False)\n", "")],
        fails=["features::test_extractor_is_frozen", "transfer::test_image_is_the_only_parameter"],
        message_mentions="requires_grad_(False)",
    ),
    Bug(
        name="features_under_no_grad",
        description="the extractor's forward runs under torch.no_grad(), so no gradient reaches the pixels",
        cell="features",
        edits=[("        out = {}\n        for name, module in zip(self.names, self.vgg):\n            x = module(x)",
                "        out = {}\n        for name, module in zip(self.names, self.vgg):\n            with torch.no_grad():\n"
                "                x = module(x)")],
        fails=["features::test_gradients_reach_the_pixels"],
        message_mentions="no gradient reaches the images",
    ),
    Bug(
        name="extractor_runs_whole_network",
        description="the extractor keeps and runs all 30 modules whatever the layers asked for",
        cell="features",
        edits=[(_KEEP, "        self.names = names\n        self.vgg = vgg")],
        fails=["features::test_extractor_stops_at_deepest_layer"],
        message_mentions="only the modules up to the deepest",
    ),
    Bug(
        name="normalisation_made_in_forward",
        description="ImageNet's mean and std are made on the CPU inside forward, not registered as buffers",
        cell="features",
        edits=[(_BUFFERS, ""),
               (_NORMALISE, "        x = (images - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD)"
                            ".view(1, 3, 1, 1)")],
        fails=["features::test_extractor_runs_on_any_device"],
        message_mentions="does not run on the device of its input",
    ),
    # ---------------------------------------------------------------- Part 2: the losses
    Bug(
        name="gram_not_normalised",
        description="the Gram matrix is F F^T without the division by C * H * W",
        cell="losses",
        edits=[(_GRAM, "    return flat @ flat.transpose(1, 2)")],
        fails=["losses::test_gram_matches_reference", "losses::test_style_loss",
               "transfer::test_perceptual_loss_matches_reference", "transfer::test_losses_match_reference"],
        message_mentions="not normalised",
    ),
    Bug(
        name="gram_spatial",
        description="the features are transposed: the Gram matrix correlates positions (HW x HW), not channels",
        cell="losses",
        edits=[(_GRAM, "    return flat.transpose(1, 2) @ flat / (C * H * W)")],
        fails=["losses::test_gram_matches_reference", "losses::test_gram_properties", "losses::test_style_loss"],
        message_mentions="spatial Gram matrix",
    ),
    Bug(
        name="style_weights_not_normalised",
        description="the style layers' weights are the relative weights as given, not divided by their sum",
        cell="losses",
        edits=[("    return {layer: w / total for layer, w in zip(layers, relative, strict=True)}",
                "    return {layer: w for layer, w in zip(layers, relative, strict=True)}")],
        fails=["losses::test_style_layer_weights", "transfer::test_perceptual_loss_matches_reference",
               "transfer::test_losses_match_reference"],
        message_mentions="sum to one",
    ),
    Bug(
        name="content_loss_summed",
        description="the content loss sums the squared differences where its docstring says mean",
        cell="losses",
        edits=[("    return (features - target).pow(2).mean()", "    return (features - target).pow(2).sum()")],
        fails=["losses::test_content_loss", "transfer::test_perceptual_loss_matches_reference",
               "transfer::test_losses_match_reference"],
        message_mentions="sums the squared differences",
    ),
    Bug(
        name="tv_one_axis",
        description="the total-variation loss penalises vertical neighbours only",
        cell="losses",
        edits=[("    return vertical + horizontal", "    return vertical")],
        fails=["losses::test_total_variation_loss", "transfer::test_perceptual_loss_matches_reference",
               "transfer::test_losses_match_reference"],
        message_mentions="only one direction",
    ),
    # ---------------------------------------------------------------- Part 3: style transfer
    Bug(
        name="optimizer_over_network",
        description="L-BFGS is given the network's parameters instead of the image",
        cell="transfer",
        edits=[(_LBFGS, "            return torch.optim.LBFGS(self.criterion.parameters(), lr=hp.learning_rate, "
                        "max_iter=hp.max_iter)")],
        fails=["transfer::test_trainer_runs_lbfgs", "quality::test_style_transfer_loss_falls",
               "quality::test_style_transfer_gram_distance_falls"],
        message_mentions="holds the network",
    ),
    Bug(
        name="style_targets_in_a_dict",
        description="the style image's Gram matrices are kept in a plain dict, not registered as buffers",
        cell="transfer",
        edits=[("                self.register_buffer(f\"gram_{layer}\", gram_matrix(features[layer]))",
                "                self.grams[layer] = gram_matrix(features[layer])"),
               ("        with torch.no_grad():\n            features = self.extractor(style_image)",
                "        self.grams = {}\n        with torch.no_grad():\n            features = self.extractor(style_image)"),
               ("        grams = {layer: getattr(self, f\"gram_{layer}\") for layer in self.style_layers}",
                "        grams = self.grams")],
        fails=["transfer::test_style_transfer_runs_on_any_device"],
        message_mentions="does not run on the device",
    ),
    # ---------------------------------------------------------------- Part 4: adversarial examples
    Bug(
        name="fgsm_sign_reversed",
        description="FGSM steps against the gradient's sign, down the loss",
        cell="attacks",
        edits=[(_FGSM_STEP, "    return (x - epsilon * grad.sign()).clamp(0, 1).detach()")],
        fails=["adversarial::test_fgsm_step", "adversarial::test_pgd_steps_and_projection",
               "adversarial::test_adversarial_training_step", "quality::test_pgd_flips_the_classifier",
               "quality::test_adversarial_training_resists_pgd"],
        message_mentions="goes down the loss",
    ),
    Bug(
        name="pgd_without_projection",
        description="PGD never projects back onto the epsilon-ball, so the perturbation outgrows the budget",
        cell="attacks",
        edits=[("        adversarial = torch.min(torch.max(adversarial, x - epsilon), x + epsilon)\n", "")],
        fails=["adversarial::test_pgd_steps_and_projection"],
        message_mentions="project after every step",
    ),
    Bug(
        name="adversarial_examples_not_used",
        description="adversarial training computes FGSM examples but trains on the clean images twice",
        cell="adversarial_training",
        edits=[("hp.adversarial_weight * F.cross_entropy(self(adversarial), labels)",
                "hp.adversarial_weight * F.cross_entropy(self(images), labels)")],
        fails=["adversarial::test_adversarial_training_step"],
        message_mentions="not in the loss",
    ),
    # ---------------------------------------------------------------- Part 5: fast style transfer
    Bug(
        name="fast_forward_runs_the_loss",
        description="the fast model's forward computes the whole perceptual loss (VGG-19 included) to stylise",
        cell="fast",
        edits=[("        return self.net(content)\n", "        return self.perceptual_loss(content)[\"output\"]\n")],
        fails=["fast::test_stylises_in_one_forward_pass"],
        message_mentions="VGG-19 is only for training",
    ),
    Bug(
        name="fast_optimiser_over_vgg",
        description="the fast model's Adam is given VGG-19's (frozen) parameters instead of the transformation network's",
        cell="fast",
        edits=[("        return torch.optim.Adam(self.net.parameters(), lr=self.hparams.learning_rate)",
                "        return torch.optim.Adam(self.criterion.parameters(), lr=self.hparams.learning_rate)")],
        fails=["fast::test_fast_training_updates_the_network_only", "quality::test_fast_style_transfer_learns"],
        message_mentions="one Adam over net's parameters",
    ),
]

#: Other correct ways to write the TODOs: each must get full marks.
CORRECT_VARIANTS: list[Bug] = [
    Bug(
        name="losses_written_differently",
        description="the Gram matrix with einsum, the content loss with F.mse_loss, weights through a tensor, the "
                    "style loss as a loop, the total variation with torch.diff",
        cell="losses",
        edits=[("    B, C, H, W = features.shape  # batch, channels, height, width\n"
                "    flat = features.reshape(B, C, H * W)\n" + _GRAM,
                "    return torch.einsum(\"bchw,bdhw->bcd\", features, features) / features[0].numel()"),
               ("    return (features - target).pow(2).mean()",
                "    return F.mse_loss(features, target.expand_as(features))"),
               ("    relative = [1.0] * len(layers) if relative is None else [float(w) for w in relative]\n"
                "    total = sum(relative)\n"
                "    return {layer: w / total for layer, w in zip(layers, relative, strict=True)}",
                "    weights = torch.ones(len(layers), dtype=torch.float64) if relative is None else "
                "torch.tensor(relative, dtype=torch.float64)\n"
                "    weights = weights / weights.sum()\n"
                "    return dict(zip(layers, weights.tolist()))"),
               ("    return sum(w * (gram_matrix(features[layer]) - target_grams[layer]).pow(2).mean() for layer, w in weights.items())",
                "    total = 0.0\n    for layer, w in weights.items():\n"
                "        total = total + w * F.mse_loss(gram_matrix(features[layer]), target_grams[layer].expand(len(features[layer]), -1, -1))\n"
                "    return total"),
               ("    vertical = (images[:, :, 1:, :] - images[:, :, :-1, :]).pow(2).mean()\n"
                "    horizontal = (images[:, :, :, 1:] - images[:, :, :, :-1]).pow(2).mean()\n"
                "    return vertical + horizontal",
                "    return torch.diff(images, dim=2).square().mean() + torch.diff(images, dim=3).square().mean()")],
        also_graded=["losses", "transfer", "quality"],
    ),
    Bug(
        name="extractor_written_differently",
        description="layer_names from a table of counters, the extractor as a copied ModuleList frozen parameter by "
                    "parameter, one stacked buffer for the statistics and an early exit",
        cell="features",
        edits=[('''    names = []
    block, conv = 1, 0
    for module in vgg:
        if isinstance(module, nn.Conv2d):
            conv += 1
            names.append(f"conv{block}_{conv}")
''' + _NAMES_LOOP + '''
        else:
            raise TypeError(f"unexpected module {module} in VGG-19's features")
    return names''', '''    names, count = [], {"block": 1, "conv": 0}
    for module in vgg:
        kind = type(module).__name__
        if kind == "Conv2d":
            count["conv"] += 1
        if kind == "MaxPool2d":
            names.append(f"pool{count['block']}")
            count = {"block": count["block"] + 1, "conv": 0}
        else:
            names.append(f"{'conv' if kind == 'Conv2d' else 'relu'}{count['block']}_{count['conv']}")
    return names'''),
               ('''        last = max(names.index(name) for name in self.layers)
''' + _KEEP + '''
        self.vgg.requires_grad_(False)
''' + _BUFFERS, '''        depth = 1 + max(names.index(name) for name in self.layers)
        self.names = names[:depth]
        self.vgg = nn.ModuleList(list(vgg)[:depth])
        for parameter in self.vgg.parameters():
            parameter.requires_grad = False
        self.register_buffer("statistics", torch.tensor([IMAGENET_MEAN, IMAGENET_STD]).view(2, 1, 3, 1, 1))'''),
               ('''        x = (images - self.mean) / self.std
        out = {}
        for name, module in zip(self.names, self.vgg):
            x = module(x)
            if name in self.layers:
                out[name] = x
        return out''', '''        x = (images - self.statistics[0]) / self.statistics[1]
        wanted, out = set(self.layers), {}
        for name, module in zip(self.names, self.vgg):
            x = module(x)
            if name in wanted:
                out[name] = x
                if len(out) == len(wanted):
                    break
        return out''')],
        also_graded=["features", "transfer"],
    ),
    Bug(
        name="transfer_with_manual_optimisation",
        description="StyleTransfer with manual optimisation: training_step calls L-BFGS (or Adam) with its own closure",
        cell="transfer",
        edits=[('''        self.save_hyperparameters(ignore=["vgg", "content_image", "style_image"])
        assert init''', '''        self.save_hyperparameters(ignore=["vgg", "content_image", "style_image"])
        self.automatic_optimization = False
        assert init'''),
               ('''        terms = self.losses()
        self.log_dict({f"train/{key}": value.detach() for key, value in terms.items()})
        return terms["loss"]''', '''        optimizer = self.optimizers()

        def closure():
            optimizer.zero_grad()
            terms = self.losses()
            self.manual_backward(terms["loss"])
            self.log_dict({f"train/{key}": value.detach() for key, value in terms.items()})
            return terms["loss"]

        return optimizer.step(closure=closure)''')],
        also_graded=["transfer", "quality"],
    ),
    Bug(
        name="attacks_written_differently",
        description="FGSM through loss.backward() and a summed cross-entropy, PGD projecting with clamp on the difference",
        cell="attacks",
        edits=[('''    x = images.detach().clone().requires_grad_(True)
    loss = F.cross_entropy(classifier(x), labels)
    (grad,) = torch.autograd.grad(loss, x)
''' + _FGSM_STEP, '''    x = images.detach().clone()
    x.requires_grad = True
    F.cross_entropy(classifier(x), labels, reduction="sum").backward()
    return torch.clamp(x.detach() + epsilon * torch.sign(x.grad), 0.0, 1.0)'''),
               ('''        adversarial = fgsm(classifier, adversarial, labels, step_size)
        adversarial = torch.min(torch.max(adversarial, x - epsilon), x + epsilon)''',
                '''        adversarial = fgsm(classifier, adversarial, labels, step_size)
        adversarial = (x + (adversarial - x).clamp(-epsilon, epsilon)).clamp(0, 1)''')],
        also_graded=["adversarial", "quality"],
    ),
]
