"""Unit tests of measure.py's normalisation and scoring (no recogniser needed):
`python -m unittest discover -s speech/intelligibility`."""

import tempfile
import unittest
from pathlib import Path
from unittest import mock

import measure
from measure import edit_distance, normalise, seeded_codes


class Normalise(unittest.TestCase):
    def test_recogniser_spellings_of_a_code(self):
        for text, digits in [
            ("Your code is 482079.", "482079"),
            ("your code is 05-3-235", "053235"),
            ("your code is 0.6.5.4.9.1", "065491"),
            ("Your code is 482,079", "482079"),
            ("your code is four eight two, zero seven nine", "482079"),
            ("your code is for 3 7 2 0 6", "437206"),
            ("Your code is oh six one", "061"),
            ("your code is i7-1-0.", "710"),
            ("", ""),
        ]:
            with self.subTest(text=text):
                self.assertEqual(normalise(text, "en"), digits)

    def test_danish_digit_words(self):
        self.assertEqual(normalise("Din kode er fire otte to, nul syv ni", "da"), "482079")
        self.assertEqual(normalise("Din kode er 48 20 79", "da"), "482079")

    def test_english_words_are_not_danish_digits(self):
        self.assertEqual(normalise("your code is four", "da"), "")


class Score(unittest.TestCase):
    def test_edit_distance(self):
        self.assertEqual(edit_distance("482079", "482079"), 0)
        self.assertEqual(edit_distance("482079", "482070"), 1)
        self.assertEqual(edit_distance("482079", "48279"), 1)
        self.assertEqual(edit_distance("482079", ""), 6)
        self.assertEqual(edit_distance("482079", "4820799"), 1)

    def test_codes_are_seeded_six_digit_strings(self):
        codes = seeded_codes(16, 50)
        self.assertEqual(codes, seeded_codes(16, 50))
        self.assertNotEqual(codes, seeded_codes(17, 50))
        self.assertTrue(all(len(c) == 6 and c.isdigit() for c in codes))


class Model(unittest.TestCase):
    def test_a_model_with_another_hash_is_refused(self):
        with tempfile.TemporaryDirectory() as cache, \
                mock.patch.object(measure, "WHISPER_BASE_SHA256", "0" * 64):
            with self.assertRaises(SystemExit) as refused:
                measure.whisper_model_dir(Path(cache))
            self.assertIn("refusing a different model", str(refused.exception))


if __name__ == "__main__":
    unittest.main()
