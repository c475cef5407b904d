# Course entry points. Each target creates .venv on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: course lab test clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $(STAMP)

## course: execute every notebook headless (default mode) into build/notebooks/
course: $(STAMP)
	COURSE_MODE=$${COURSE_MODE:-default} $(BIN)/python -m course_utils run

## lab: open JupyterLab on the course environment (root, as in many containers, needs --allow-root)
lab: $(STAMP)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

## test: run the unit tests and execute every notebook in smoke mode
# Smoke runs write to build/test/ so they never replace the models, results and
# TensorBoard logs of a learner's default-mode run in build/ and runs/.
test: $(STAMP)
	COURSE_MODE=smoke CI=$${CI:-1} COURSE_BUILD_DIR=$(CURDIR)/build/test \
	COURSE_LOG_DIR=$(CURDIR)/build/test/runs $(BIN)/python -m pytest -v

clean:
	rm -rf build runs
