"""The library network (总分馆): units, their levels and parents, opening hours and closed days."""
