"""`fedplan serve`: the planner's workbench. A local web application over run directories: edit a
plan in the browser, see it re-scored at once by the cost model and the independent verify,
pin what must stay and re-optimise around it, save the result as a new run directory.

| module | job |
|---|---|
| ``server``      | the command: load the runs, start uvicorn, print the URL, stop on Ctrl-C |
| ``app``         | the Starlette application: page, assets, the JSON API, access and errors |
| ``workspace``   | the loaded runs and their cost models (one per set of practices left out) |
| ``session``     | per-browser sessions: each one's edits, undo and redo |
| ``edits``       | the edits as pure functions between plan states (move, hub, merge, split, leave out, pins) |
| ``score``       | re-scoring: cost by term, the rules broken, the comparisons, the independent verify |
| ``verifycache`` | memos of verify's own recomputations, so that it keeps up with every edit |
| ``solve``       | what a background solve is asked (pins as constraints; repair of today's PCNs) |
| ``jobs``        | background solves in a child process: progress, cancel, the answer handed back |
| ``save``        | an edited plan written as a run directory, as `fedplan plan` writes one |
| ``mapdata``     | the map's sites and cells as SVG paths, and federation colours that differ across borders |
| ``errors``      | ``ApiError``: every bad request as a 4xx JSON message |

The page (``static/``: index.html, app.js, app.css) is package data; it fetches nothing from
outside this server.
"""
