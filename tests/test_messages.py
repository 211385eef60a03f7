"""Status lines go to stdout; TensorFlow's retracing warning is dropped only where asked."""

import logging

from weight_init._optional import quiet_retracing
from weight_init.messages import say

RETRACE = (
    "5 out of the last 13 calls to <function TensorFlowTrainer.make_predict_function.<locals>."
    "one_step_on_data_distributed at 0x7f> triggered tf.function retracing. Tracing is expensive"
)


def test_say_writes_status_to_stdout_only_when_verbose(capsys):
    say("data: the sample")
    say("not this", verbose=False)
    say("no newline", end="")
    out = capsys.readouterr()
    assert out.out == "data: the sample\nno newline" and out.err == ""


def test_quiet_retracing_drops_that_message_only_and_only_inside(caplog):
    logger = logging.getLogger("tensorflow")
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        with quiet_retracing():
            logger.warning(RETRACE)
            logger.warning("another warning")
        logger.warning(RETRACE)

        @quiet_retracing()
        def study():
            logger.warning(RETRACE)
            with quiet_retracing():  # re-entrant
                logger.warning(RETRACE)
            logger.warning(RETRACE)

        study()
        study()
    assert [r.getMessage() for r in caplog.records] == ["another warning", RETRACE]
    assert not logger.filters  # nothing left behind


def test_the_loss_study_is_wrapped():
    from weight_init.studies.loss_progression import study

    # ContextDecorator keeps the function's name and docstring (functools.wraps)
    assert study.train_loss_progression.__wrapped__.__name__ == "train_loss_progression"
