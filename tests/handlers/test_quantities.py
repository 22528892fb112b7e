"""The one parser of prices and quantities: what members and data files write, in base units."""
import pytest

from handlers.quantities import (find_price, price_per_unit, read_amounts, read_number, read_price,
                                 read_quantity, split_words, whole_number)


@pytest.mark.parametrize(("text", "price"), [
    ("120/kg", (120, "kg")),
    ("120 per kg", (120, "kg")),
    ("KES 120 kg", (120, "kg")),
    ("Ksh.120 per kilo", (120, "kg")),
    ("120/=", (120, None)),
    ("bei 280", (280, None)),
    ("280", (280, None)),
    ("120 kwa kilo", (120, "kg")),  # Swahili
    ("120 le kg", (120, "kg")),  # French
    ("120 por quilo", (120, "kg")),  # Portuguese
    ("1,480/90kg", (1480 / 90, "kg")),  # a bag price, per kg
    ("1480/90 KG bag", (1480 / 90, "kg")),
    ("3200 per 90kg gunia", (3200 / 90, "kg")),
    ("50/200g", (250, "kg")),
    ("500/500ml", (1000, "l")),
    ("150/lita", (150, "l")),
    ("12,5/kg", (12.5, "kg")),  # a decimal comma
    ("1.480,50/kg", (1480.5, "kg")),
    ("20 each", (20, None)),  # one of whatever the quantity counts
    ("700 cada", (700, None)),
    ("15 kila kimoja", (15, None)),
    ("3500 cada saco", (3500, "bag")),
    ("20/pc", (20, "piece")),
    ("2500/bag", (2500, "bag")),  # a bag of unknown size stays a bag
    ("50000/t", (50, "kg")),
])
def test_price_is_read_per_base_unit(text, price):
    amount, unit = read_price(text)
    assert (round(amount, 6), unit) == (round(price[0], 6), price[1])


@pytest.mark.parametrize("text", ["abc", "", "10^12", "1e12", "120/kg Kisumu", "kg", "🐟"])
def test_text_that_is_not_one_price_is_refused(text):
    assert read_price(text) is None


@pytest.mark.parametrize(("text", "found", "before", "after"), [
    ("tilapia 120/kg Kisumu", (120, "kg"), "tilapia ", " Kisumu"),
    ("nile perch 300 per kg Homa Bay", (300, "kg"), "nile perch ", " Homa Bay"),
    ("sato bei 280 Kisumu", (280, None), "sato ", " Kisumu"),
    ("tilapia 50kg 120/kg", (120, "kg"), "tilapia 50kg ", ""),  # "120/kg" is the price
])
def test_price_is_found_inside_a_command(text, found, before, after):
    price = find_price(text)
    assert (price.amount, price.unit) == found
    assert (text[:price.start], text[price.end:]) == (before, after)


@pytest.mark.parametrize("text", ["tilapia abc", "omena 10^12", "sato Kisumu"])
def test_command_without_a_price_has_none(text):
    assert find_price(text) is None


@pytest.mark.parametrize(("text", "quantity"), [
    ("50kg", (50, "kg")),
    ("2 tonnes", (2000, "kg")),
    ("500 ml", (0.5, "l")),
    ("3 bags", (3, "bag")),
    ("3 bags of 90kg", (270, "kg")),
    ("2 gunia ya 90kg", (180, "kg")),
    ("2 magunia za kilo 90", (180, "kg")),  # the size's unit before its number
    ("2 bags 90kg", (180, "kg")),  # a container needs no joining word before its size
    ("3 x 90kg", (270, "kg")),
    ("90 KG", (90, "kg")),  # the WFP units
    ("200 G", (0.2, "kg")),
    ("L", (1, "l")),
    ("Unit", (1, "piece")),
    ("12", (12, None)),
])
def test_quantity_is_read_in_base_units(text, quantity):
    amount, unit = read_quantity(text)
    assert (round(amount, 6), unit) == quantity


@pytest.mark.parametrize("text", ["Head", "Bunch", "abc", "", "3 x bags", "2 kg 90kg"])
def test_unknown_quantity_is_refused(text):
    assert read_quantity(text) is None


@pytest.mark.parametrize(("text", "number"), [
    ("1,480", 1480), ("12.500", 12500), ("12.5", 12.5), ("12,50", 12.5), ("1,480,000", 1480000),
    ("1.480,50", 1480.5), ("1,480.50", 1480.5), ("abc", None)])
def test_numbers_are_read_with_either_separator(text, number):
    assert read_number(text) == number


@pytest.mark.parametrize(("text", "number"), [("3", 3), ("007", 7), ("999999999", 999999999)])
def test_whole_number_is_ascii_digits(text, number):
    assert whole_number(text) == number


@pytest.mark.parametrize("text", [
    "²", "¹²", "٣", "፩", "３", "", " 3", "3 ", "-3", "+3", "3.0", "1_000", "1234567890", "9" * 5000])
def test_anything_else_is_no_whole_number(text):
    """Superscripts, other scripts' digits, signs, spaces, and more digits than asked for."""
    assert whole_number(text) is None


def test_whole_number_takes_as_many_digits_as_asked():
    assert whole_number("1234567", digits=6) is None and whole_number("123456", digits=6) == 123456


def read_message(text, product_unit="kg"):
    """(quantity, its unit, price per that unit) of a message, as a listing keeps them."""
    found = read_amounts(split_words(text))
    unit = found.quantity.unit or product_unit
    price = price_per_unit(found.price, found.quantity, unit) if found.price else (None, None)
    return found.quantity.amount, unit, round(price[0], 2) if price[0] else None, price[1]


@pytest.mark.parametrize(("text", "read"), [
    ("tilapia 50kg 120/kg Kisumu", (50, "kg", 120, "kg")),
    ("tilapia kilo 100 bei 280 Kisumu", (100, "kg", 280, "kg")),  # the unit before its number
    ("50kg tilapia at 300 per kg in Kisumu", (50, "kg", 300, "kg")),
    ("maize 500kg max 45/kg Eldoret", (500, "kg", 45, "kg")),
    ("sato 50kg@250 kisumu", (50, "kg", 250, "kg")),  # no space before @
    ("100kgs tilapia ksh230/kg", (100, "kg", 230, "kg")),
    ("1 tonne maize 40000 Eldoret", (1000, "kg", 40, "kg")),  # per the tonne as written
    ("dagaa kilo 100 jumla 9000", (100, "kg", 90, "kg")),  # a total
    ("tilapia 20 kg 3000 au total", (20, "kg", 150, "kg")),
    ("rosecoco 2 bags of 90kg 10800 per bag", (180, "kg", 120, "kg")),
    ("engrais 10 sacs de 50kg 3000 le sac", (500, "kg", 60, "kg")),
    ("mel 500g 400", (0.5, "kg", 800, "kg")),  # a jar's price, not a price per gram
    ("maembe 300 vipande bei 15 kila kimoja", (300, "piece", 15, "piece")),
    ("cestos 10 peças 700 cada", (10, "piece", 700, "piece")),
    ("tomatoes 10 crates 900 each", (10, "crate", 900, "crate")),
    ("mbuzi 10 bei 7000 Isiolo", (10, "piece", 7000, "piece")),  # the number after bei
    ("sato kilo 50 bei isizidi 240", (50, "kg", 240, "kg")),
    ("mahindi hadi 45 kilo 500", (500, "kg", 45, "kg")),
    ("cabras 10 até 6500 cada", (10, "piece", 6500, "piece")),
    ("mahindi gunia 2 ya 90kg bei 4000 Eldoret", (180, "kg", 44.44, "kg")),  # unit first, sized
    ("maize 2 bags 90kg 4000/bag", (180, "kg", 44.44, "kg")),
])
def test_message_quantity_and_price_are_read_in_any_order(text, read):
    product_unit = "piece" if read[1] == "piece" else "kg"
    assert read_message(text, product_unit) == read


@pytest.mark.parametrize(("text", "problem"), [
    ("tilapia 50kg abc/kg", "price"), ("sato kilo 50 bei abc", "price"),
    ("tilapia 0kg 120/kg", "quantity"), ("tilapia 10^12kg 120/kg", "quantity"),
    ("tilapia 1000000000000kg", "quantity"), ("tilapia 50kg 99999999/kg", "price"),
    ("tilapia 50zorks 120/kg", "unit")])
def test_bad_quantity_or_price_in_a_message_is_the_problem(text, problem):
    assert read_amounts(split_words(text)).problem == problem
