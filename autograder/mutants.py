"""Mutants of the solutions' answer cells: small, systematic mistakes, to measure what the hidden checks catch.

Each mutant changes one place of one answer cell of a solution (one operator applied at one site of its
syntax tree) and keeps every other cell as the solution has it. The operators are the usual ones of mutation
testing (comparisons, arithmetic, constants, deleted calls) and the mistakes a PyTorch course sees: another
pooling or activation, a missing activation, train() for eval(), a detached result, sum for mean, p for 1 - p,
a dropped hyperparameter, a shallow copy for a deep one, another optimizer.

``python -m autograder.mutation_report`` grades them with the real grader and writes the report.
"""

from __future__ import annotations

import ast
import copy
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from autograder import answers

Replacement = tuple[str, ast.AST]  # (what the operator did, the node that takes the site's place)
Operator = Callable[[ast.AST], list[Replacement]]

COMPARISONS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
               ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
ARITHMETIC = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
              ast.Pow: ast.Mult}
# names a PyTorch answer uses, and the name of a realistic mistake in its place
TORCH_SWAPS = {
    "MaxPool2d": "AvgPool2d", "AvgPool2d": "MaxPool2d", "max_pool2d": "avg_pool2d", "avg_pool2d": "max_pool2d",
    "ReLU": "Tanh", "relu": "sigmoid", "Tanh": "ReLU", "train": "eval", "eval": "train", "sum": "mean",
    "mean": "sum", "Adam": "AdamW", "AdamW": "Adam", "SGD": "Adam", "argmax": "argmin", "deepcopy": "copy",
    "no_grad": "enable_grad", "Dropout": "Dropout1d", "cross_entropy": "nll_loss", "CrossEntropyLoss": "NLLLoss",
    "abs": "square", "std": "var", "var": "std", "extend": "append", "numel": "dim",
}
ACTIVATIONS = {"ReLU", "relu", "Tanh", "tanh", "Sigmoid", "sigmoid", "LeakyReLU", "GELU"}
HYPERPARAMETERS = {"lr", "weight_decay", "momentum", "p", "padding", "stride", "kernel_size", "bias", "dim",
                   "reduction", "patience", "keepdim"}


@dataclass(frozen=True)
class Mutant:
    assignment: str
    item: str  # the graded item whose answer cell the mutant changes
    operator: str
    line: int  # in the answer cell
    what: str  # what changed, in a few words
    source: str  # the whole mutated answer cell

    @property
    def key(self) -> str:
        """A stable name, as long as the solution's cell and the operators stay as they are."""
        digest = hashlib.sha1(self.source.encode()).hexdigest()[:8]
        return f"{self.item}-{self.operator}-L{self.line}-{digest}"


def _compare(node: ast.AST) -> list[Replacement]:
    if not isinstance(node, ast.Compare) or len(node.ops) != 1 or type(node.ops[0]) not in COMPARISONS:
        return []
    swapped = COMPARISONS[type(node.ops[0])]()
    return [(f"{_symbol(node.ops[0])} → {_symbol(swapped)}", ast.Compare(node.left, [swapped], node.comparators))]


def _arithmetic(node: ast.AST) -> list[Replacement]:
    if not isinstance(node, ast.BinOp) or type(node.op) not in ARITHMETIC:
        return []
    swapped = ARITHMETIC[type(node.op)]()
    return [(f"{_symbol(node.op)} → {_symbol(swapped)}", ast.BinOp(node.left, swapped, node.right))]


def _constant(node: ast.AST) -> list[Replacement]:
    if not isinstance(node, ast.Constant) or isinstance(node.value, str):
        return []
    value = node.value
    if isinstance(value, bool):
        return [(f"{value} → {not value}", ast.Constant(not value))]
    if isinstance(value, int):
        return [(f"{value} → {changed}", ast.Constant(changed)) for changed in (value + 1, value - 1) if changed >= 0]
    if isinstance(value, float) and value not in (0.0,):
        return [(f"{value} → {value * 2:g}", ast.Constant(value * 2))]
    return []


def _deleted_call(node: ast.AST) -> list[Replacement]:
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        return [(f"deleted `{ast.unparse(node)[:40]}`", ast.Pass())]
    return []


def _torch_swap(node: ast.AST) -> list[Replacement]:
    if isinstance(node, ast.Attribute) and node.attr in TORCH_SWAPS:
        return [(f".{node.attr} → .{TORCH_SWAPS[node.attr]}",
                 ast.Attribute(node.value, TORCH_SWAPS[node.attr], node.ctx))]
    return []  # a bare name (Python's sum, abs) is no torch call


def _dropped_activation(node: ast.AST) -> list[Replacement]:
    """``nn.Sequential(..., nn.ReLU(), ...)`` without one activation; ``F.relu(x)`` as ``x``."""
    if not isinstance(node, ast.Call):
        return []
    name = _called_name(node)
    if name in ACTIVATIONS and len(node.args) == 1 and not node.keywords:
        return [(f"{name}(x) → x", node.args[0])]
    if name == "Sequential":
        return [(f"Sequential without its {_called_name(arg)} #{index}",
                 ast.Call(node.func, node.args[:index] + node.args[index + 1:], node.keywords))
                for index, arg in enumerate(node.args)
                if isinstance(arg, ast.Call) and _called_name(arg) in ACTIVATIONS]
    return []


def _dropped_keyword(node: ast.AST) -> list[Replacement]:
    """A hyperparameter left at its default."""
    if not isinstance(node, ast.Call):
        return []
    return [(f"without {keyword.arg}=", ast.Call(node.func, node.args, [k for k in node.keywords if k is not keyword]))
            for keyword in node.keywords if keyword.arg in HYPERPARAMETERS]


def _complement_probability(node: ast.AST) -> list[Replacement]:
    """``p`` as ``1 - p`` where a call is given a probability (a keep probability for a drop one)."""
    if not isinstance(node, ast.Call):
        return []
    found = []
    for index, argument in enumerate(node.args):
        if isinstance(argument, ast.Name) and argument.id in ("p", "rate", "dropout", "drop"):
            arguments = list(node.args)
            arguments[index] = ast.BinOp(ast.Constant(1), ast.Sub(), argument)
            found.append((f"{argument.id} → 1 - {argument.id}", ast.Call(node.func, arguments, node.keywords)))
    for keyword in node.keywords:
        if keyword.arg == "p":
            keywords = [ast.keyword("p", ast.BinOp(ast.Constant(1), ast.Sub(), keyword.value)) if k is keyword else k
                        for k in node.keywords]
            found.append(("p= → 1 - p=", ast.Call(node.func, node.args, keywords)))
    return found


def _detached(node: ast.AST) -> list[Replacement]:
    """A returned tensor expression cut from the graph."""
    if isinstance(node, ast.Return) and isinstance(node.value, ast.BinOp | ast.Call):
        detached = ast.Call(ast.Attribute(node.value, "detach", ast.Load()), [], [])
        return [("returned value .detach()ed", ast.Return(detached))]
    return []


OPERATORS: dict[str, Operator] = {
    "compare": _compare, "arithmetic": _arithmetic, "constant": _constant, "deleted-call": _deleted_call,
    "torch-swap": _torch_swap, "dropped-activation": _dropped_activation, "dropped-keyword": _dropped_keyword,
    "one-minus-p": _complement_probability, "detach": _detached,
}


def _called_name(call: ast.Call) -> str:
    function = call.func
    return function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")


def _symbol(operator: ast.AST) -> str:
    return {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is",
            ast.IsNot: "is not", ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
            ast.Pow: "**"}[type(operator)]


def _sites(tree: ast.AST) -> Iterator[tuple[ast.AST, Callable[[ast.AST], None]]]:
    """Every node but the root, with a function that puts another node in its place, in a fixed order."""
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if isinstance(value, ast.AST):
                yield value, lambda new, parent=parent, field=field: setattr(parent, field, new)
            elif isinstance(value, list):
                for index, child in enumerate(value):
                    if isinstance(child, ast.AST):
                        yield child, lambda new, siblings=value, index=index: siblings.__setitem__(index, new)


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def mutants_of(assignment: str, item: str, source: str) -> list[Mutant]:
    """Every mutant of one answer cell, without duplicates and without those that do not compile."""
    tree = ast.parse(source)
    original = ast.unparse(tree)
    found: dict[str, Mutant] = {}
    for position, (node, _) in enumerate(_sites(tree)):
        if _is_docstring(node):
            continue
        for operator, mutations in OPERATORS.items():
            for index, (what, _) in enumerate(mutations(node)):
                mutated = copy.deepcopy(tree)
                site, replace = next(s for k, s in enumerate(_sites(mutated)) if k == position)
                replace(mutations(site)[index][1])
                try:
                    text = ast.unparse(ast.fix_missing_locations(mutated))
                    compile(text, "<mutant>", "exec")
                except (SyntaxError, ValueError, TypeError):
                    continue
                if text != original:
                    found.setdefault(text, Mutant(assignment, item, operator, getattr(node, "lineno", 0), what, text))
    return list(found.values())


def mutants(assignment: str) -> list[Mutant]:
    """The mutants of every answer cell of an assignment's solution."""
    return [mutant for cell, source in answers.solution_answers(assignment).items()
            for mutant in mutants_of(assignment, cell.removesuffix(answers.ANSWER_SUFFIX), source)]
