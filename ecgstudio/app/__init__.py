"""ecgstudio.app"""
