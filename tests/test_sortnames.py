import pytest

from bookmaker.load.sortnames import author_sort, title_sort


@pytest.mark.parametrize("name, language, expected", [
    ("Arthur Conan Doyle", "en", "Doyle, Arthur Conan"),
    ("Wren Halloway", "en", "Halloway, Wren"),
    ("Colette", "fr", "Colette"),
    ("  Wren   Halloway ", "en", "Halloway, Wren"),
    ("Doyle, Arthur Conan", "en", "Doyle, Arthur Conan"),
    ("Martin Luther King Jr.", "en", "King, Martin Luther, Jr."),
    ("Martin Luther King, Jr.", "en", "King, Martin Luther, Jr."),
    ("Ursula K. Le Guin", "en", "Le Guin, Ursula K."),
    ("Martin Van Buren", "en", "Van Buren, Martin"),
    ("Ludwig van Beethoven", "de", "Beethoven, Ludwig van"),
    ("Ludwig Mies van der Rohe", "de", "Rohe, Ludwig Mies van der"),
    ("Simone de Beauvoir", "fr", "Beauvoir, Simone de"),
    ("Jean de La Fontaine", "fr", "La Fontaine, Jean de"),
    ("Daphne du Maurier", "en", "du Maurier, Daphne"),
    ("Leonardo da Vinci", "it", "Vinci, Leonardo da"),
    ("Miguel de Cervantes", "es", "Cervantes, Miguel de"),
    ("Dr. Seuss", "en", "Seuss, Dr."),
    ("J. R. R. Tolkien", "en", "Tolkien, J. R. R."),
    ("村上春樹", "ja", "村上春樹"),
    ("Murakami Haruki", "ja", "Murakami Haruki"),
    ("Szabó Magda", "hu", "Szabó Magda"),
    ("", "en", ""),
])
def test_author_sort(name, language, expected):
    assert author_sort(name, language) == expected


@pytest.mark.parametrize("title, language, expected", [
    ("The Lamplighter's Almanac", "en", "Lamplighter's Almanac, The"),
    ("A Tide Table for Two", "en-GB", "Tide Table for Two, A"),
    ("An Ending", "en", "Ending, An"),
    ("Another Ending", "en", "Another Ending"),
    ("Theory of Lamps", "en", "Theory of Lamps"),
    ("The", "en", "The"),
    ("The Almanac", "fr", "The Almanac"),
    ("Les Misérables", "fr", "Misérables, Les"),
    ("L'Étranger", "fr", "Étranger, L'"),
    ("L\u2019Étranger", "fr-CA", "Étranger, L\u2019"),
    ("Une saison en enfer", "fr", "saison en enfer, Une"),
    ("Der Zauberberg", "de", "Zauberberg, Der"),
    ("Die Verwandlung", "de", "Verwandlung, Die"),
    ("Das Parfum", "de", "Parfum, Das"),
    ("Eine kleine Geschichte", "de", "kleine Geschichte, Eine"),
    ("El Aleph", "es", "Aleph, El"),
    ("La sombra del viento", "es", "sombra del viento, La"),
    ("Los de abajo", "es", "de abajo, Los"),
    ("Il nome della rosa", "it", "nome della rosa, Il"),
    ("I promessi sposi", "it", "promessi sposi, I"),
    ("Gli indifferenti", "it", "indifferenti, Gli"),
    ("L'amica geniale", "it", "amica geniale, L'"),
    ("O Alquimista", "pt", "Alquimista, O"),
    ("Os Lusíadas", "pt-BR", "Lusíadas, Os"),
    ("De avonden", "nl", "avonden, De"),
    ("Het achterhuis", "nl", "achterhuis, Het"),
    ("Een vlucht regenwulpen", "nl", "vlucht regenwulpen, Een"),
    ("Война и мир", "ru", "Война и мир"),
])
def test_title_sort(title, language, expected):
    assert title_sort(title, language) == expected
