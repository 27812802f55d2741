from tui_backup.cli import main

main()
