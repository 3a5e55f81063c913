// GB 32100-2015 统一社会信用代码: checked on the phone so a typo is caught before the queue.
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

export function isValidCreditCode(code: string): boolean {
  if (code.length !== 18) return false
  let total = 0
  for (let i = 0; i < 17; i++) {
    const v = ALPHABET.indexOf(code[i])
    if (v < 0) return false
    total += v * WEIGHTS[i]
  }
  return ALPHABET[(31 - (total % 31)) % 31] === code[17]
}
