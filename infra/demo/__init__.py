"""Demo data sets. Everything here is illustrative (示意数据): it shows how the system works and
is never an official figure. See ``jiangsu_2023`` for the 2023 Jiangsu allocation."""
