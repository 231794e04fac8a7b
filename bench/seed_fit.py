"""The seed notebook's training loop (seed 003), re-typed faithfully as the benchmark's baseline.

Only two things differ from the seed: the progress bar is off (the benchmark
prints nothing per epoch), and ``Stop`` is the kit's marker so that the same
``after_epoch`` functions work with both loops. Do not "improve" this file:
its slowness is what the kit's ``fit`` is measured against.
"""

import collections
import time

import numpy as np
import torch
import tqdm

from reglab.training import Stop


def fit(net, train, validation, optimizer, epochs=25, batch_size=10, after_epoch=None, device="cpu"):
    # move the network parameters to the gpu, if necessary
    net = net.to(device)

    # initialize the loss and accuracy history
    history = collections.defaultdict(list)
    epoch_stats, phase = None, None

    # initialize the data loaders
    data_loader = {
        'train': torch.utils.data.DataLoader(train, batch_size=batch_size, shuffle=True),
        'validation': torch.utils.data.DataLoader(validation, batch_size=batch_size)
    }

    # measure the length of the experiment
    start_time = time.time()

    # some advanced PyTorch to look inside the network and log the outputs
    # you don't normally need this, but we use it here for our analysis
    def register_measure_hook(idx, module):
        def hook(module, input, output):
            with torch.no_grad():
                # store the mean output values
                epoch_stats['%s %d: %s output mean' % (phase, idx, type(module).__name__)] += \
                    output.mean().detach().cpu().numpy()
                # store the mean absolute output values
                epoch_stats['%s %d: %s output abs mean' % (phase, idx, type(module).__name__)] += \
                    output.abs().mean().detach().cpu().numpy()
                # store the std of the output values
                epoch_stats['%s %d: %s output std' % (phase, idx, type(module).__name__)] += \
                    output.std().detach().cpu().numpy()
        module.register_forward_hook(hook)

    # store the output for all layers in the network
    for layer_idx, layer in enumerate(net):
        register_measure_hook(layer_idx, layer)
    # end of the advanced PyTorch code

    for epoch in tqdm.tqdm(range(epochs), desc='Epoch', leave=False, disable=True):
        # initialize the loss and accuracy for this epoch
        epoch_stats = collections.defaultdict(float)
        epoch_stats['train steps'] = 0
        epoch_stats['validation steps'] = 0
        epoch_outputs = {'train': [], 'validation': []}

        # first train on training data, then evaluate on the validation data
        for phase in ('train', 'validation'):
            # switch between train and validation settings
            net.train(phase == 'train')

            epoch_steps = 0  # noqa: F841 -- unused in the seed too
            epoch_loss = 0  # noqa: F841
            epoch_accuracy = 0  # noqa: F841

            # loop over all minibatches
            for x, y in data_loader[phase]:
                # move data to gpu, if necessary
                x = x.to(device)
                y = y.to(device)

                # compute the forward pass through the network
                pred_y = net(x)

                # compute the current loss and accuracy
                loss = torch.nn.functional.cross_entropy(pred_y, y)
                pred_class = torch.argmax(pred_y, dim=1)
                accuracy = torch.mean((pred_class == y).float())

                # add to epoch loss and accuracy
                epoch_stats[f'{phase} loss'] += loss.detach().cpu().item()
                epoch_stats[f'{phase} accuracy'] += accuracy.detach().cpu().item()

                # store outputs for later analysis
                epoch_outputs[phase].append(pred_y.detach().cpu().numpy())

                # only update the network in the training phase
                if phase == 'train':
                    # set gradients to zero
                    optimizer.zero_grad()

                    # backpropagate the gradient through the network
                    loss.backward()

                    # track the gradient and weight of the first layer
                    # (not standard; we only need this for the assignment)
                    epoch_stats['train mean abs grad'] += \
                        torch.mean(torch.abs(net[0].weight.grad)).detach().cpu().item()
                    epoch_stats['train mean abs weight'] += \
                        torch.mean(torch.abs(net[0].weight)).detach().cpu().item()

                    # update the weights
                    optimizer.step()

                epoch_stats[f'{phase} steps'] += 1

            # compute the mean loss and accuracy over all minibatches
            for key in epoch_stats:
                if phase in key and 'steps' not in key:
                    epoch_stats[key] = epoch_stats[key] / epoch_stats[f'{phase} steps']
                    history[key].append(epoch_stats[key])

            # count the number of update steps
            history[f'{phase} steps'].append((epoch + 1) * epoch_stats[f'{phase} steps'])

            # store the outputs
            history[f'{phase} outputs'].append(np.concatenate(epoch_outputs[phase]).flatten())

        history['epochs'].append(epoch)
        history['time'].append(time.time() - start_time)

        # call the after epoch function
        if after_epoch is not None:
            stop = after_epoch(net, epoch, epoch_stats)
            if stop is Stop:
                break

    return history
