import { describe, expect, it } from 'vitest'
import { isValidCreditCode } from '../src/party'

describe('统一社会信用代码 (GB 32100-2015)', () => {
  it('accepts a code whose check character is right', () => {
    expect(isValidCreditCode('914403001922038216')).toBe(true)
  })
  it('refuses a wrong check character, a letter outside the alphabet and a short code', () => {
    expect(isValidCreditCode('914403001922038217')).toBe(false)
    expect(isValidCreditCode('91440300192203821I')).toBe(false)
    expect(isValidCreditCode('91440300192203821')).toBe(false)
  })
})
