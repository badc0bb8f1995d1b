"""ecgstudio.ml"""
