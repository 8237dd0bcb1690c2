from kb.text import clean_unicode, fit_words, fold_diacritics, slugify, sort_key


def test_slugify_transliterates_croatian() -> None:
    assert slugify("Povrat novca") == "povrat-novca"
    assert slugify("Đurđevak, čaša i šećer!") == "durdevak-casa-i-secer"


def test_slugify_never_returns_empty() -> None:
    assert slugify("!!!") == "section"
    assert slugify("", fallback="article") == "article"


def test_fold_diacritics_keeps_plain_letters() -> None:
    assert fold_diacritics("Plaćanje pošiljke ĐAK") == "Placanje posiljke DAK"


def test_clean_unicode_drops_nul_and_zero_width_and_composes() -> None:
    assert clean_unicode("pla\u0107a\x00nje\u200b") == "plaćanje"
    assert clean_unicode("c\u030c") == "č"


def test_fit_words_cuts_a_long_message_at_a_word_on_one_line() -> None:
    assert fit_words("Paket je\nstigao  oštećen.", 100) == "Paket je stigao oštećen."
    assert fit_words("Paket je stigao oštećen.", 17) == "Paket je stigao"
    assert fit_words("x" * 30, 10) == "x" * 10


def test_titles_sort_as_a_croatian_reader_expects() -> None:
    """Code points put every č, ć, đ, š, ž after "z": a category page listed "Čestitke"
    after "Zamjena"."""
    titles = ["Žica", "Zamjena", "Šalica", "Sat", "Đak", "dostava", "Ćevapi", "Čestitke"]
    titles += ["Cijene", "Éclair", "eura"]
    assert sorted(titles, key=sort_key) == [
        "Cijene",
        "Čestitke",
        "Ćevapi",
        "dostava",
        "Đak",
        "Éclair",
        "eura",
        "Sat",
        "Šalica",
        "Zamjena",
        "Žica",
    ]
