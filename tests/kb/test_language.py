from kb.language import detect


def test_detects_croatian_and_english_questions() -> None:
    assert detect("kako mogu vratiti proizvod") == "hr"
    assert detect("paket još nije stigao") == "hr"
    assert detect("how can I return a product") == "en"


def test_unsure_when_the_text_does_not_say() -> None:
    assert detect("iphone 15") is None
    assert detect("") is None
