"""Reader activities (读者活动): lectures, exhibitions, training, reading promotion, books to the
villages … held at a unit and organised by a unit, with their attendance. Reports count them."""
