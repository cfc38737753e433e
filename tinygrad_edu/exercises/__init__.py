"""Exercises generated from the reference code, and their autograder.

    manifest.py   exercises/tasks.toml as Task and Assignment records
    markers.py    find and check the "# BEGIN SOLUTION task A.B" / "# END SOLUTION" regions
    release.py    write the student tree: marked regions replaced by stubs
    checks.py     per task: the inputs it is graded on and the call that produces its answers
    runner.py     the script a grading child runs (student code lives only there)
    sandbox.py    start that child: isolated interpreter, resource limits, timeout
    grade.py      run every task's child, compare with references computed here, results.json
    cli.py        ``tinygrad-edu exercises release|grade``

Nothing here is imported by ``import tinygrad_edu``: the exercises are a tool around
the package, not part of it.
"""
