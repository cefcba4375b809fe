import keras_tuner as kt
from _common import build_model, captured, data, report

x, y, x_val, y_val = data()
tuner = kt.RandomSearch(build_model, objective="val_accuracy", max_trials=2, seed=3,
                        directory="kt_runs", project_name="summaries")
space = captured(tuner.search_space_summary, extended=True)
tuner.search(x, y, epochs=1, validation_data=(x_val, y_val), verbose=0)
results = captured(tuner.results_summary, num_trials=2)
report(space_head=space[:3],
       space_lines=[line for line in space if line.endswith(")") and "(" in line and not line.startswith("{")],
       results_head=[results[0], results[2], results[3]],
       results_in=results[1].startswith("Results in "),
       trial_blocks=sum(line.endswith(" summary") and line.startswith("Trial ") for line in results),
       has_score=any(line.startswith("Score: ") for line in results),
       has_hyperparameters="Hyperparameters:" in results)
