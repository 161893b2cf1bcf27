"""Argument types shared by the cron scripts: argparse turns their ValueError or
ArgumentTypeError into a usage message and exit status 2."""

import argparse


def days(value: str) -> float:
    number = float(value)
    if number < 0 or number != number:  # NaN is not a number of days either
        raise argparse.ArgumentTypeError("must be a number of days >= 0")
    return number


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return number
