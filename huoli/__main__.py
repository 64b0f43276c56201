from huoli.cli import app

app(prog_name="huoli")
