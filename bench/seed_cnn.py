"""The CNN seeds' training loops, re-typed faithfully as the CNN benchmark's baselines.

Seed 002 (CIFAR-10, Exercise 1): the network ``base`` and the loop of its
``learning(config, optim, lr, kernel)``: ``DataLoader(train, batch_size=128,
shuffle=True, num_workers=2)`` and ``DataLoader(test, batch_size=128,
shuffle=True)`` over torchvision datasets with per-image PIL transforms, Adam,
``nn.CrossEntropyLoss``, predictions as a list of per-sample argmaxes of the
softmax, and the epoch's figures rounded to 4 places. The text dump lost the
indentation of ``train_loss.backward()`` and ``optimizer.step()``; they are in
the batch loop here, as the seed's own training curves show they were.

Seed 004 (MNIST, ``mnist.py``): the networks ``CNN`` (the default), ``CNN2``
(as corrected, with padding 2) and ``CNN3``, and its ``train`` and ``test``
with SGD, mini-batches of 64 and per-image ``ToTensor`` and ``Normalize``.

What differs from the seeds, and only so that a benchmark can call them: the
datasets, the network, the epochs and the optimizer's settings are arguments
(the seeds built them inside), TensorBoard's ``writer.add_scalar`` calls and
the plots are a returned history instead, and the datasets are the kit's
synthetic files. Do not "improve" this file: its slowness is what the kit's
loop is measured against.
"""

import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# ---------------------------------------------------------------- seed 002: CIFAR-10


def dim_calc(width, kernel_size):
    w, k, p, s = width, kernel_size, 0, 1
    conv_op = (w - k + 2 * p) / s + 1
    w = conv_op / 2
    conv_op = (w - k + 2 * p) / s + 1
    conv_op = (conv_op - k + 2 * p) / s + 1
    w = conv_op / 2
    return int(w)


class base(nn.Module):
    def __init__(self, in_ch, width, kernel):
        super().__init__()

        self.conv1 = nn.Conv2d(in_ch, out_channels=32, kernel_size=kernel)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(32, 64, kernel)
        self.conv3 = nn.Conv2d(64, 128, kernel)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(128 * dim_calc(width, kernel) ** 2, 100)
        self.fc2 = nn.Linear(100, 50)
        self.fc3 = nn.Linear(50, 10)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.pool1(x)
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        x = self.pool2(x)
        x = x.view(x.size(0), -1)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        x = self.relu(self.fc3(x))
        return x


def learning(train_dataset, test_dataset, model, lr=0.001, epochs=40, num_workers=2, stamps=None):
    """Seed 002's ``learning``: the history has, per epoch, the four figures it wrote to TensorBoard."""
    trainloader_CIF = torch.utils.data.DataLoader(train_dataset, batch_size=128, shuffle=True,
                                                  num_workers=num_workers)
    testloader_CIF = torch.utils.data.DataLoader(test_dataset, batch_size=128, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    train_loss_epoch_l, test_loss_epoch_l = [], []
    history = {"train loss": [], "test loss": [], "train accuracy": [], "test accuracy": []}
    _stamp(stamps)
    for j in range(epochs):
        # training
        model.train()
        train_loss_h, train_pred_l, test_pred_l, test_label, train_label = 0, [], [], [], []
        for images, labels in trainloader_CIF:
            optimizer.zero_grad()
            y_hat_train = model(images)
            prob = F.softmax(y_hat_train, dim=1)
            pred = [torch.argmax(j) for j in prob]
            train_loss = criterion(y_hat_train, labels)
            train_loss_h += train_loss.item() * len(images)
            train_pred_l += pred
            train_label = train_label + list(labels)
            train_loss.backward()
            optimizer.step()

        train_loss_epoch = np.round((train_loss_h / len(train_dataset)), 4)
        train_loss_epoch_l.append(train_loss_epoch)
        train_acc = np.round((np.array(train_pred_l) == np.array(train_label)).mean(), 4)
        # testing
        model.eval()
        with torch.no_grad():
            test_loss_h = 0
            for images, labels in testloader_CIF:
                y_hat_test = model(images)
                prob = F.softmax(y_hat_test, dim=1)
                pred = [torch.argmax(j) for j in prob]
                test_loss = criterion(y_hat_test, labels)
                test_loss_h += test_loss.item() * len(images)
                test_pred_l = test_pred_l + pred
                test_label = test_label + list(labels)
            test_acc = np.round((np.array(test_pred_l) == np.array(test_label)).mean(), 4)
            test_loss_epoch = np.round((test_loss_h / len(test_dataset)), 4)
            test_loss_epoch_l.append(test_loss_epoch)
            for key, value in (("train loss", train_loss_epoch), ("test loss", test_loss_epoch),
                               ("train accuracy", train_acc), ("test accuracy", test_acc)):
                history[key].append(float(value))  # the seed: writer.add_scalar('Loss_CIFAR10/train', ...), ...
            print(f"Epoch {j} - train_loss : {train_loss_epoch},test loss : {test_loss_epoch},"
                  f"train_acc : {train_acc},test_acc : {test_acc}")
        _stamp(stamps)
    print(" ")
    return history


# ---------------------------------------------------------------- seed 004: MNIST

# Training hyperparameters
epochs = 1
batch_size = 64
learning_rate = 0.001
momentum = 0.9
weight_decay = 0.04
log_interval = 20


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels=1, out_channels=16, kernel_size=5, stride=1, padding=0)
        self.maxpool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(in_channels=16, out_channels=32, kernel_size=3, stride=1, padding=0)
        self.fc1 = nn.Linear(in_features=800, out_features=128)
        self.fc2 = nn.Linear(in_features=128, out_features=10)
        nn.init.kaiming_normal_(self.conv1.weight, nonlinearity='relu')
        nn.init.kaiming_normal_(self.conv2.weight, nonlinearity='relu')
        nn.init.kaiming_normal_(self.fc1.weight, nonlinearity='relu')
        nn.init.kaiming_normal_(self.fc2.weight, nonlinearity='linear')

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.maxpool(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = self.maxpool(x)
        x = x.view(-1, 800)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


class CNN2(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels=1, out_channels=32, kernel_size=5, stride=1, padding=2)
        self.maxpool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(in_channels=32, out_channels=64, kernel_size=5, stride=1, padding=2)
        self.fc1 = nn.Linear(in_features=3136, out_features=256)
        self.fc2 = nn.Linear(in_features=256, out_features=10)
        nn.init.kaiming_normal_(self.conv1.weight, nonlinearity='relu')
        nn.init.kaiming_normal_(self.conv2.weight, nonlinearity='relu')
        nn.init.kaiming_normal_(self.fc1.weight, nonlinearity='relu')
        nn.init.kaiming_normal_(self.fc2.weight, nonlinearity='linear')

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.maxpool(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = self.maxpool(x)
        x = x.view(-1, 3136)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


class CNN3(nn.Module):
    def __init__(self):
        super().__init__()
        self.dropout = nn.Dropout(p=.05)
        self.layer1 = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=5, stride=1, padding=2),
            nn.BatchNorm2d(16),
            nn.ReLU(),
        )
        self.layer2 = nn.Sequential(
            nn.Conv2d(16, 32, kernel_size=5, stride=1, padding=2),
            nn.BatchNorm2d(32),
            nn.ReLU(),
        )
        self.layer3 = nn.Sequential(
            nn.Conv2d(32, 64, kernel_size=5, stride=1, padding=2),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.layer4 = nn.Sequential(
            nn.Conv2d(64, 128, kernel_size=5, stride=1, padding=2),
            nn.BatchNorm2d(128),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=1),
        )
        self.fc1 = nn.Linear(in_features=18432, out_features=10)

    def forward(self, x):
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = x.reshape(x.size(0), -1)
        x = self.dropout(x)
        x = self.fc1(x)
        return F.log_softmax(x, dim=1)


def train(model, device, train_loader, optimizer, epoch, losses=None, counter=None, errors=None):
    # the seed's defaults were shared lists (losses=[], ...): fresh ones per call keep runs apart
    losses, counter, errors = ([] if v is None else v for v in (losses, counter, errors))
    model.train()
    correct = 0
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))
            losses.append(loss.item())
            counter.append((batch_idx * batch_size) + ((epoch - 1) * len(train_loader.dataset)))
        pred = output.max(1, keepdim=True)[1]
        correct += pred.eq(target.view_as(pred)).sum().item()
    errors.append(100. * (1 - correct / len(train_loader.dataset)))


def test(model, device, test_loader, losses=None, errors=None):
    losses, errors = ([] if v is None else v for v in (losses, errors))
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.max(1, keepdim=True)[1]  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset),
        100. * correct / len(test_loader.dataset)))
    losses.append(test_loss)
    errors.append(100. * (1 - correct / len(test_loader.dataset)))


def main(train_data, test_data, model, epochs=epochs, lr=learning_rate, momentum=momentum,
         weight_decay=weight_decay, stamps=None):
    """Seed 004's ``main`` after its datasets and model are made; the history has the figures per epoch that its
    lists hold (train errors, test losses and errors), as accuracies."""
    use_cuda = torch.cuda.is_available()
    device = torch.device("cuda" if use_cuda else "cpu")
    # data loaders
    kwargs = {'num_workers': 1, 'pin_memory': True} if use_cuda else {}
    train_loader = torch.utils.data.DataLoader(train_data, batch_size=batch_size, shuffle=True, **kwargs)
    test_loader = torch.utils.data.DataLoader(test_data, batch_size=batch_size, shuffle=False, **kwargs)
    model = model.to(device)
    # optimizer creation
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    # lists for saving history
    train_losses = []
    train_counter = []
    test_losses = []
    train_errors = []
    test_errors = []
    # test of randomly initialized model
    test(model, device, test_loader, losses=test_losses)
    # global training and testing loop
    _stamp(stamps)
    for epoch in range(1, epochs + 1):
        train(model, device, train_loader, optimizer, epoch, losses=train_losses, counter=train_counter,
              errors=train_errors)
        test(model, device, test_loader, losses=test_losses, errors=test_errors)
        _stamp(stamps)
    return {"train accuracy": [1 - error / 100 for error in train_errors], "test loss": test_losses[1:],
            "test accuracy": [1 - error / 100 for error in test_errors]}


def _stamp(stamps) -> None:
    if stamps is not None:
        stamps.append(time.perf_counter())
