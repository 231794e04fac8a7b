"""Which profile is active, and when?"""

import pytest

from reglab.profiles import PROFILES, active_profile, epochs_for


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_is_chosen_by_the_environment_variable(monkeypatch, name):
    """Does REGLAB_PROFILE pick the profile, whatever its case and spacing?"""
    monkeypatch.setenv("REGLAB_PROFILE", f" {name.upper()} ")
    assert active_profile().name == name


def test_default_profile_is_quick(monkeypatch):
    """Does a student who sets nothing get the laptop-sized profile?"""
    monkeypatch.delenv("REGLAB_PROFILE")
    assert active_profile().name == "quick"
    assert "(the default)" in active_profile().describe()


def test_the_notebooks_choice_wins_over_the_environment(monkeypatch):
    """Does PROFILE = 'full' in a notebook's settings cell beat REGLAB_PROFILE, and say where it came from?"""
    monkeypatch.setenv("REGLAB_PROFILE", "tiny")
    assert active_profile("Full").name == "full"
    assert "chosen in this notebook" in active_profile("full").describe()
    assert active_profile(None).name == "tiny"


@pytest.mark.parametrize("requested", ["full", "quick", "tiny"])
def test_nbgrader_execution_always_means_tiny(monkeypatch, requested):
    """Is the profile tiny whenever nbgrader executes the notebook, whatever the notebook or environment ask?"""
    monkeypatch.setenv("REGLAB_PROFILE", requested)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert active_profile().name == "tiny"
    assert active_profile(requested).name == "tiny"


def test_unknown_profile_names_the_valid_ones(monkeypatch):
    """Is a misspelt profile an error that lists the valid choices and names where it was set?"""
    monkeypatch.setenv("REGLAB_PROFILE", "fast")
    with pytest.raises(ValueError, match=r"REGLAB_PROFILE='fast'.*full, quick, tiny"):
        active_profile()
    with pytest.raises(ValueError, match=r"PROFILE='fats'.*full, quick, tiny"):
        active_profile("fats")


def test_only_tiny_stays_offline():
    """Do full and quick use the real datasets, and tiny only the kit's own small synthetic set?"""
    assert not PROFILES["full"].synthetic_data and not PROFILES["quick"].synthetic_data
    assert PROFILES["tiny"].synthetic_data and PROFILES["tiny"].synthetic_images <= 1000


def test_description_says_how_to_choose_another():
    """Does the printed description name the settings cell and the environment variable?"""
    text = PROFILES["quick"].describe()
    assert "Profile 'quick'" in text and "PROFILE = 'full'" in text and "REGLAB_PROFILE=full|quick|tiny" in text


@pytest.mark.parametrize(("steps", "n_train", "batch_size", "epochs"),
                         [(2400, 1000, 32, 75), (4700, 6000, 64, 50), (10, 1000, 32, 1), (4800, 6000, 100, 80)])
def test_epochs_for_a_number_of_optimizer_steps(steps, n_train, batch_size, epochs):
    """Does a run sized by steps get the epochs closest to that many steps, counting a smaller last minibatch?"""
    assert epochs_for(steps, n_train, batch_size) == epochs
