"""Profiles: how big a notebook's experiments are.

A profile is a name and a data source; each notebook's settings cell says what
the name means for its own experiments (images, epochs or optimizer steps),
since the assignments' original experiments differ in size.

Who chooses, first match wins:
1. nbgrader: whenever it executes a notebook (it sets ``NBGRADER_EXECUTION``)
   the profile is ``tiny``, so grading never downloads and finishes in seconds;
2. the notebook's settings cell, ``active_profile('full')``;
3. the environment variable ``REGLAB_PROFILE``, set before Jupyter starts;
4. ``quick``.
"""

import dataclasses
import math
import os
from dataclasses import dataclass

PROFILE_VARIABLE = "REGLAB_PROFILE"
DATA_SOURCE_VARIABLE = "REGLAB_DATA"  # "real" or "synthetic": overrides the profile's data source
DEFAULT_PROFILE = "quick"


@dataclass(frozen=True)
class Profile:
    name: str
    synthetic_data: bool  # True: the kit's own offline data, never a download
    purpose: str
    synthetic_images: int | None = None  # synthetic training images a loader writes where the notebook asks for
    # all of them (None: as many as the real dataset has)
    chosen_by: str = "the default"  # what picked it, so that the notebook can say how to pick another

    def uses_synthetic_data(self) -> bool:
        """The profile's data source, unless ``REGLAB_DATA`` says otherwise."""
        source = os.environ.get(DATA_SOURCE_VARIABLE, "").strip().lower()
        if source not in ("", "real", "synthetic"):
            raise ValueError(f"{DATA_SOURCE_VARIABLE}={source!r}: choose 'real' or 'synthetic'.")
        return source == "synthetic" or (source == "" and self.synthetic_data)

    def describe(self) -> str:
        data = ("the kit's synthetic images (offline)" if self.uses_synthetic_data()
                else "the real datasets (downloaded once)")
        return (
            f"Profile '{self.name}' ({self.chosen_by}): {self.purpose}\n"
            f"  data: {data}.\n"
            f"  Choose another in the settings cell: PROFILE = 'full', 'quick' or 'tiny' "
            f"(or with {PROFILE_VARIABLE}={'|'.join(PROFILES)} before starting Jupyter)."
        )


PROFILES = {
    profile.name: profile
    for profile in (
        Profile("full", False, "the original experiments' sizes, as the settings below say."),
        Profile("quick", False, "every effect the questions ask about, within 15 minutes on a 2-core laptop."),
        Profile("tiny", True, "an offline smoke run in seconds; tests and grading use it.", synthetic_images=600),
    )
}


def active_profile(choice: str | None = None) -> Profile:
    """The profile to use: ``tiny`` under nbgrader, else ``choice``, else ``REGLAB_PROFILE``, else ``quick``."""
    if os.environ.get("NBGRADER_EXECUTION"):
        return _profile("tiny", "nbgrader is executing this notebook", "nbgrader")
    if choice is not None:
        return _profile(choice, "chosen in this notebook", "PROFILE")
    if os.environ.get(PROFILE_VARIABLE, "").strip():
        return _profile(os.environ[PROFILE_VARIABLE], f"from {PROFILE_VARIABLE}", PROFILE_VARIABLE)
    return _profile(DEFAULT_PROFILE, "the default", "PROFILE")


def _profile(name: str, chosen_by: str, source: str) -> Profile:
    key = str(name).strip().lower()
    if key not in PROFILES:
        raise ValueError(f"{source}={name!r} is not a profile; choose one of: {', '.join(PROFILES)}.")
    profile = PROFILES[key]
    return dataclasses.replace(profile, chosen_by=chosen_by)


def epochs_for(steps: int, n_train: int, batch_size: int) -> int:
    """The epochs that give about ``steps`` optimizer steps per run over ``n_train`` images.

    A profile sized by steps keeps its effects visible whatever the number of
    images and the batch size: what a network learns depends on how many
    updates it gets, and an epoch of fewer images is fewer updates.
    """
    return max(1, round(steps / math.ceil(n_train / batch_size)))
