"""A Django app whose `Door` model keeps a statewright machine in a JSON column (the Django
recipe of docs/python.md): the snapshot is the state, a version column makes concurrent
writers safe, and the chart's hash says which chart the snapshot belongs to."""
