"""zhtj — 智慧团建 新发展团员调控与电子数据库.

Layers (arrows point down only): handlers → bootstrap → adapters → services/ports → domain.
"""

__version__ = "0.1.0"
