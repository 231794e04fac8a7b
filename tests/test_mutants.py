"""Do the mutation operators make the mistakes they name, and does the report grade mutants with the real grader?"""

import json

import pytest

from autograder import mutants, mutation_report
from tests.conftest import ASSIGNMENTS

# (operator, an answer cell, a line that one of its mutants must hold)
OPERATORS = [
    ("compare", "def f(a, b):\n    return a < b", "return a <= b"),
    ("arithmetic", "def f(a, b):\n    return a / b", "return a * b"),
    ("constant", "N = 4 * 5", "N = 4 * 6"),
    ("constant", "USE = True", "USE = False"),
    ("deleted-call", "def f(net, optimizer):\n    optimizer.zero_grad()\n    net.step()", "pass"),
    ("torch-swap", "pool = nn.MaxPool2d(2)", "pool = nn.AvgPool2d(2)"),
    ("torch-swap", "def f(net):\n    net.train()", "net.eval()"),
    ("torch-swap", "def f(x):\n    return x.sum()", "return x.mean()"),
    ("dropped-activation", "net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))",
     "net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))"),
    ("dropped-activation", "def f(x):\n    return F.relu(x)", "return x"),
    ("dropped-keyword", "opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)", "opt = torch.optim.SGD(params, lr=0.1)"),
    ("one-minus-p", "def f(p):\n    return nn.Dropout(p)", "return nn.Dropout(1 - p)"),
    ("one-minus-p", "layer = nn.Dropout(p=0.2)", "layer = nn.Dropout(p=1 - 0.2)"),
    ("detach", "def f(w):\n    return 0.5 * (w ** 2).sum()", "return (0.5 * (w ** 2).sum()).detach()"),
]


@pytest.mark.parametrize(("operator", "source", "expected"), OPERATORS)
def test_operator_makes_its_mistake(operator, source, expected):
    made = [m for m in mutants.mutants_of("course", "item", source) if m.operator == operator]
    assert any(expected in m.source.splitlines() or expected in m.source for m in made), [m.source for m in made]


def test_mutants_differ_from_the_solution_compile_and_have_unique_keys():
    found = mutants.mutants("regularization")
    solution_keys = {m.key for m in found}
    assert len(solution_keys) == len(found) > 50
    for mutant in found:
        compile(mutant.source, mutant.key, "exec")
    assert {m.operator for m in found} >= {"constant", "torch-swap", "deleted-call", "detach"}


def test_docstrings_are_not_mutated():
    source = 'def f(x):\n    """Return x, unchanged."""\n    return x'
    assert mutants.mutants_of("course", "item", source) == []


def test_report_grades_mutants_with_the_grader(tmp_path):
    """Every mutant of build_optimizer is killed by the sandboxed grader, and the report says so."""
    assert mutation_report.main(["--assignment", "regularization", "--item", "build_optimizer", "--out",
                                 str(tmp_path)]) == 0
    (row,) = json.loads((tmp_path / "mutation.json").read_text())
    assert row["item"] == "build_optimizer"
    assert row["mutants"] == row["killed"] >= 5
    assert row["survived"] == [] and row["elsewhere"] == []
    assert "| regularization | build_optimizer |" in (tmp_path / "mutation.md").read_text()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_equivalent_mutant_is_a_mutant_of_the_solution(assignment):
    """Does every explained survivor name a mutant of the current solution, so that none is stale?"""
    assert set(mutation_report.equivalents(assignment)) <= {m.key for m in mutants.mutants(assignment)}
