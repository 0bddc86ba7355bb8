"""The web console served at ``/console`` (:mod:`.app`); services add pages through
:class:`~jobforge.console.section.ConsoleSection`."""
